from datetime import date

import pytest

from hrc_outreach.curate.keys import default_edition_key, edition_date, first_tuesday, issue_number
from hrc_outreach.errors import CurateError


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2026, 12, date(2026, 12, 1)), (2027, 1, date(2027, 1, 5)), (2026, 9, date(2026, 9, 1)),
     (2026, 11, date(2026, 11, 3)), (2027, 2, date(2027, 2, 2))],
)
def test_first_tuesday(year: int, month: int, expected: date) -> None:
    assert first_tuesday(year, month) == expected
    assert expected.weekday() == 1


def test_default_key_is_current_month_until_its_first_tuesday() -> None:
    assert default_edition_key(date(2026, 11, 3)) == "2026-11"
    assert default_edition_key(date(2026, 11, 4)) == "2026-12"
    assert default_edition_key(date(2026, 12, 2)) == "2027-01"
    assert default_edition_key(date(2027, 1, 1)) == "2027-01"


def test_issue_number_and_bad_keys() -> None:
    assert issue_number("2025-01", "2025-01") == 1
    assert issue_number("2026-01", "2025-01") == 13
    assert edition_date("2027-01") == date(2027, 1, 5)
    for bad in ("2026-1", "26-12", "2026-00", "december"):
        with pytest.raises(CurateError):
            edition_date(bad)

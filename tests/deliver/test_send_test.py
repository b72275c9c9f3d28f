"""A test send reaches one address in every language (or the chosen ones) and leaves the ledger alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.deliver.send_test import send_test
from hrc_outreach.errors import DeliveryError
from hrc_outreach.store import open_store
from tests.support.brevo_sim import BrevoSim, received, request_log
from tests.support.ledger_data import messages, write_draft
from tests.support.ledger_helpers import KEY, brevo, make_settings, token_secret  # noqa: F401 - fixture


def test_every_language_to_one_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_draft(open_store(settings), messages(KEY, ("en", "fr", "ar")))
    with BrevoSim(tmp_path / "sim") as sim:
        results = send_test(settings, KEY, "editor@example.org", provider=brevo(settings, sim))
        again = send_test(
            settings, KEY, "editor@example.org", langs=["ar"], provider=brevo(settings, sim)
        )
    assert sorted(results) == ["ar", "en", "fr"] and list(again) == ["ar"]
    assert all(r.accepted for r in results.values())
    # each test is its own request (fresh key): a second test is really sent again
    assert received(tmp_path / "sim")["editor@example.org"] == 4
    assert request_log(tmp_path / "sim")[201] == 4


def test_a_language_without_a_draft_is_named(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_draft(open_store(settings), messages(KEY, ("en",)))
    with pytest.raises(DeliveryError, match=r"no draft in uk \(drafted: en\)"):
        send_test(settings, KEY, "editor@example.org", langs=["uk"])

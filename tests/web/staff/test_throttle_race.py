"""Sign-in throttling holds under parallel guesses: each attempt is recorded before its password is
checked, so no more than the limit of wrong passwords are ever checked for one account."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from hrc_outreach import staff
from hrc_outreach.store import Store


def test_parallel_wrong_passwords_never_get_past_the_limit(store: Store) -> None:
    staff.add_staff(store, "ana@example.org", name="Ana", role="admin", password="right-horse-42")
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(30)

    def guess(i: int) -> None:
        start.wait()
        try:
            staff.authenticate(store, "ana@example.org", f"wrong-{i}", client=f"10.0.0.{i}")
            kind = "signed in"
        except staff.ThrottledError:
            kind = "throttled"
        except staff.StaffError:
            kind = "checked and refused"
        with lock:
            outcomes[kind] += 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes["signed in"] == 0
    assert outcomes["checked and refused"] <= staff.MAX_FAILURES_PER_ACCOUNT, outcomes
    assert sum(outcomes.values()) == 30
    # the right password is refused too while the account is throttled
    with pytest.raises(staff.ThrottledError):
        staff.authenticate(store, "ana@example.org", "right-horse-42", client="10.0.1.1")


def test_a_right_password_clears_the_accounts_failures(store: Store) -> None:
    staff.add_staff(store, "bo@example.org", name="Bo", role="editor", password="right-horse-42")
    for i in range(staff.MAX_FAILURES_PER_ACCOUNT - 1):
        with pytest.raises(staff.StaffError):
            staff.authenticate(store, "bo@example.org", f"wrong-{i}", client="10.0.0.9")
    assert staff.authenticate(store, "bo@example.org", "right-horse-42", client="10.0.0.9")
    for i in range(staff.MAX_FAILURES_PER_ACCOUNT - 1):  # a fresh allowance
        with pytest.raises(staff.StaffError) as err:
            staff.authenticate(store, "bo@example.org", f"again-{i}", client="10.0.0.8")
        assert not isinstance(err.value, staff.ThrottledError)

"""SpamAssassin (Debian's, offline) scores the full MIME message of the sample edition below 2.0.

``spamassassin -L -t`` runs local tests only (no network lookups). The test prints the score and
the rules hit. A control message without Date and Message-ID must score higher, so the check is
known to bite.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.mime import as_bytes, build_message
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import Edition, Recipient
from hrc_outreach.render.draft import render_message

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("spamassassin") is None,
        reason="spamassassin is not installed (Debian package spamassassin)",
    ),
]
TARGET = 2.0
_STATUS = re.compile(r"^X-Spam-Status: (.*?)\n(?![ \t])", re.MULTILINE | re.DOTALL)


def score(message: bytes) -> tuple[float, list[str]]:
    """SpamAssassin's score of ``message`` and the names of the rules it hit."""
    done = subprocess.run(
        ["spamassassin", "-L", "-t"], input=message, capture_output=True, timeout=300, check=False
    )
    out = done.stdout.decode("utf-8", errors="replace")
    m = _STATUS.search(out)
    assert m is not None, f"no X-Spam-Status in spamassassin's output: {done.stderr[-500:]!r}"
    status = " ".join(m.group(1).split()).replace(", ", ",")  # folded over several lines
    points = re.search(r"score=(-?[\d.]+)", status)
    tests = re.search(r"tests=(\S*)", status)
    assert points is not None and tests is not None, status
    return float(points.group(1)), [r for r in tests.group(1).split(",") if r and r != "none"]


def sample_message(edition: Edition, settings: Settings, lang: str) -> EmailMessage:
    msg, _ = render_message(localize_edition(edition, lang), settings)
    base = settings.web.base_url
    recipient = Recipient(
        subscriber_id=7,
        email="ana.silva@example.org",
        name="Ana Silva",
        params={"unsubscribe_url": f"{base}/u/tok3n", "preferences_url": f"{base}/p/tok3n"},
    )
    return build_message(
        msg,
        recipient,
        settings,
        msgid=f"<2026-12-{lang}.7@humanrightscities.net>",
        date=datetime(2026, 12, 1, 8, tzinfo=UTC),
    )


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_sample_edition_scores_below_target(
    edition: Edition, settings: Settings, lang: str
) -> None:
    m = sample_message(edition, settings, lang)
    assert m.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in m.iter_parts()] == ["text/plain", "text/html"]
    for header in ("Date", "Message-ID", "From", "To", "Subject", "List-Unsubscribe"):
        assert m[header], header
    points, rules = score(as_bytes(m))
    print(f"\nSpamAssassin {lang}: score {points} (target < {TARGET}); rules: {', '.join(rules)}")
    assert points < TARGET, rules


def test_a_message_without_date_and_message_id_scores_higher(
    edition: Edition, settings: Settings
) -> None:
    m = sample_message(edition, settings, "en")
    del m["Date"]
    del m["Message-ID"]
    points, rules = score(as_bytes(m))
    print(f"\nSpamAssassin control: score {points}; rules: {', '.join(rules)}")
    assert "MISSING_DATE" in rules and points >= TARGET

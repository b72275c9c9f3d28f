"""Real email HTML (Postmark and Mailgun templates) through the lint; caniemail data vs its corpus.

Findings are expected (these templates use http links, no lang...): the lint must not crash, and
the test prints the count of findings by rule. The bundled caniemail.json must be what
scripts/build_caniemail.py extracts from the corpus.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from hrc_outreach.models import Severity
from hrc_outreach.render import caniemail
from hrc_outreach.render.lint import lint_message
from tests.conftest import CORPORA, require_shared

pytestmark = pytest.mark.corpus


def test_every_corpus_email_runs_through_the_lint() -> None:
    root = require_shared(CORPORA / "email-html")
    files = sorted(root.rglob("*.html"))
    assert len(files) > 50
    by_rule: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for path in files:
        html = path.read_text(encoding="utf-8", errors="replace")
        txt = path.with_suffix(".txt")  # Postmark ships a text part beside the HTML
        text = txt.read_text(encoding="utf-8", errors="replace") if txt.is_file() else ""
        findings = lint_message(html, text, "en")
        for f in findings:
            assert f.rule and f.message
            by_rule[f"{f.rule} ({f.severity.value})"] += 1
            by_severity[f.severity.value] += 1
    print(f"\nlinted {len(files)} corpus emails; findings by rule:")
    for rule, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:5d}  {rule}")
    # The corpus is known to hold each of these: if one vanished, a rule stopped working.
    for expected in ("html-lang (error)", "link-not-https (error)", "css-support (warning)"):
        assert by_rule[expected] > 0, expected
    assert by_severity[Severity.ERROR.value] > 0


def test_bundled_caniemail_json_agrees_with_the_corpus() -> None:
    corpus = require_shared(CORPORA / "caniemail")
    fresh = caniemail.extract(corpus / "_features")
    bundled = json.loads(caniemail.DATA_PATH.read_text(encoding="utf-8"))
    for kind, table in fresh.items():
        assert bundled[kind] == table, f"{kind} differs: run scripts/build_caniemail.py"
    assert bundled["_attribution"]["license"] == "MIT"
    assert "Parmentier" in bundled["_attribution"]["copyright"]
    assert len(fresh["properties"]) > 100


def test_caniemail_reads_every_css_feature_file() -> None:
    corpus = require_shared(CORPORA / "caniemail")
    css_files = sorted((corpus / "_features").glob("css-*.md"))
    fresh = caniemail.extract(corpus / "_features")
    assert sum(len(t) for t in fresh.values()) > 0.7 * len(css_files)
    # spot checks against the files themselves
    assert fresh["values"]["display:flex"]["outlook"]["windows"] == "n"
    assert fresh["properties"]["background-color"]["gmail"]["desktop-webmail"] == "y"

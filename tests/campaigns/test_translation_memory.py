"""Campaign translations go through the translation memory (issue 14), against a local server
speaking LibreTranslate's API that counts requests: the first preview asks the machine, a second
preview of the unchanged campaign asks nothing, a changed paragraph is the only string asked again,
and a person's reviewed correction wins over the machine's in the next preview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hrc_outreach.campaigns.steps import draft_step
from hrc_outreach.campaigns.translate import record_reviewed
from hrc_outreach.config import Settings
from hrc_outreach.store import open_store
from tests.i18n.fakeservers import FakeEngine, serve

CAMPAIGN = """\
name: mem
title: Memory
date: 2029-06-07
timezone: Europe/Brussels
audience: {segments: [first-time-voters]}
languages: [en, nl, de, fa]
steps:
  - name: one
    offset_days: -10
    subject: {en: Register to vote, fa: برای رأی دادن ثبت‌نام کنید}
    preheader: {en: Registration closes soon}
    body: {en: en.md, fa: fa.md}
    cta: {label: {en: How to register, fa: چگونه ثبت‌نام کنیم}, url: "https://elections.europa.eu/"}
"""
BODY = "Registration closes **soon**.\n\nBring an identity document.\n\nAsk us & we help.\n"
BODY_4 = "See [the EU's page](https://elections.europa.eu/) for dates."


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    d = tmp_path / "mem"
    d.mkdir()
    (d / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
    (d / "en.md").write_text(BODY, encoding="utf-8")
    (d / "fa.md").write_text("ثبت‌نام به‌زودی بسته می‌شود.\n", encoding="utf-8")
    return d


@pytest.fixture
def engine(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, FakeEngine]]:
    with serve("libretranslate") as (url, eng):
        monkeypatch.setenv("HRC_LIBRETRANSLATE_BASE_URL", url)
        monkeypatch.setenv("HRC_LIBRETRANSLATE_API_KEY", eng.api_key)
        i18n = settings.i18n.model_copy(update={"translator": "libretranslate"})
        yield settings.model_copy(update={"i18n": i18n}), eng


def _asked(eng: FakeEngine, since: int = 0) -> dict[str, list[str]]:
    """Target language -> the texts the translator was asked for (after request ``since``)."""
    out: dict[str, list[str]] = {}
    for r in eng.translate_requests()[since:]:
        out.setdefault(r.body["target"], []).extend(r.body["q"])
    return out


def test_a_second_preview_asks_the_translator_nothing(
    engine: tuple[Settings, FakeEngine], campaign: Path
) -> None:
    settings, eng = engine
    first = draft_step(settings, campaign, "one")
    asked = _asked(eng)
    assert sorted(asked) == ["de", "nl"] and len(eng.translate_requests()) == 2
    # subject, preheader, three paragraphs, the label: each its own string
    assert len(asked["nl"]) == 6 and "Ask us &amp; we help." in asked["nl"]
    assert first.subjects["nl"] == "[nl] Register to vote"
    nl = (first.out_dir / "nl" / "email.txt").read_text(encoding="utf-8")
    assert "[nl] Ask us & we help." in nl and "[nl] Bring an identity document." in nl

    second = draft_step(settings, campaign, "one")
    assert len(eng.translate_requests()) == 2  # nothing asked again
    assert second.hashes == first.hashes


def test_a_changed_paragraph_is_the_only_string_translated_again(
    engine: tuple[Settings, FakeEngine], campaign: Path
) -> None:
    settings, eng = engine
    first = draft_step(settings, campaign, "one")
    before = len(eng.translate_requests())
    (campaign / "en.md").write_text(
        BODY.replace("an identity document", "your residence card"), encoding="utf-8"
    )
    second = draft_step(settings, campaign, "one")
    assert _asked(eng, before) == {
        "nl": ["Bring your residence card."],
        "de": ["Bring your residence card."],
    }
    assert second.hashes["fa"] == first.hashes["fa"] and second.hashes["nl"] != first.hashes["nl"]


def test_a_reviewed_correction_wins_over_the_machine_in_the_next_preview(
    engine: tuple[Settings, FakeEngine], campaign: Path
) -> None:
    settings, eng = engine
    draft_step(settings, campaign, "one")
    store = open_store(settings)
    try:
        record_reviewed(
            store, {"Register to vote": "Registreer je om te stemmen"}, source_lang="en",
            target="nl",
        )  # fmt: skip
    finally:
        store.dispose()
    before = len(eng.translate_requests())
    again = draft_step(settings, campaign, "one")
    assert len(eng.translate_requests()) == before
    assert again.subjects["nl"] == "Registreer je om te stemmen"
    assert again.subjects["de"] == "[de] Register to vote"


def test_no_translator_and_nothing_remembered_names_the_strings(
    engine: tuple[Settings, FakeEngine], campaign: Path
) -> None:
    from hrc_outreach.campaigns.render import step_texts
    from hrc_outreach.campaigns.validate import load_campaign
    from hrc_outreach.errors import RenderError

    settings, _eng = engine
    spec = load_campaign(settings, campaign)
    store = open_store(settings)
    try:
        with pytest.raises(RenderError, match=r"'nl'.*untranslated: subject, preheader, body\.1"):
            step_texts(spec, spec.steps[0], campaign, None, store)
    finally:
        store.dispose()


def test_a_body_written_with_crlf_is_cut_into_the_same_paragraphs(
    engine: tuple[Settings, FakeEngine], campaign: Path
) -> None:
    """An editor on Windows saves the body with CRLF line ends: still one string per paragraph,
    so editing one paragraph re-translates that paragraph only."""
    settings, eng = engine
    (campaign / "en.md").write_bytes(BODY.replace("\n", "\r\n").encode())
    draft_step(settings, campaign, "one")
    assert len(_asked(eng)["nl"]) == 6
    before = len(eng.translate_requests())
    changed = BODY.replace("Ask us", "Write to us").replace("\n", "\r\n")
    (campaign / "en.md").write_bytes(changed.encode())
    draft_step(settings, campaign, "one")
    assert _asked(eng, before) == {
        "nl": ["Write to us &amp; we help."],
        "de": ["Write to us &amp; we help."],
    }


def test_a_quota_exhausted_midway_loses_nothing_already_translated(
    settings: Settings, campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DeepL answers 456 (quota exhausted) after the first language: the preview fails naming
    the step and language, what was translated is remembered, and the next preview (quota
    back) asks only for the language that failed."""
    from hrc_outreach.errors import RenderError

    quota = FakeEngine(quota_texts=6)
    with serve("deepl", quota) as (url, eng):
        monkeypatch.setenv("HRC_DEEPL_API_KEY", eng.api_key)
        monkeypatch.setenv("HRC_DEEPL_BASE_URL", url)
        i18n = settings.i18n.model_copy(update={"translator": "deepl"})
        cfg = settings.model_copy(update={"i18n": i18n})
        with pytest.raises(RenderError, match=r"step 'one': translating into '(nl|de)' failed"):
            draft_step(cfg, campaign, "one")
        first = [r.body["target_lang"] for r in eng.translate_requests()]
        assert len(first) >= 2 and first[0] != first[-1]  # one language done, the other refused
        quota.quota_texts = None
        before = len(eng.translate_requests())
        drafted = draft_step(cfg, campaign, "one")
        again = [r.body["target_lang"] for r in eng.translate_requests()[before:]]
        assert again == [first[-1]]  # only the language that failed
        assert drafted.subjects["nl"].endswith("Register to vote")


def test_the_cli_preview_twice_then_approve_and_launch_asks_once(
    engine: tuple[Settings, FakeEngine], campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hrc-outreach campaign preview` as staff type it: the second asks the translator nothing,
    nor do the approval and the launch that render the step again to check it."""
    from typer.testing import CliRunner

    from hrc_outreach.cli import app
    from hrc_outreach.paths import PROJECT_ROOT

    _settings, eng = engine
    monkeypatch.setenv("HRC_TRANSLATOR", "libretranslate")

    def run(*args: str) -> None:
        r = CliRunner().invoke(app, ["--config", str(PROJECT_ROOT / "outreach.toml"), *args])
        assert r.exit_code == 0, r.output

    run("campaign", "preview", str(campaign), "--step", "one")
    first = len(eng.translate_requests())
    assert first == 2
    run("campaign", "preview", str(campaign), "--step", "one")
    run("campaign", "approve", str(campaign), "--step", "one", "--by", "Ana", "--no-schedule")
    run("campaign", "launch", str(campaign), "--step", "one")
    assert len(eng.translate_requests()) == first


def test_a_machine_translation_that_changes_a_link_is_not_used(
    settings: Settings, campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translator that rewrites a paragraph's link (a real engine may 'translate' a URL's
    path, or worse): that paragraph's translation is neither used nor remembered; the preview
    fails naming the field and the link, and the review page takes a person's translation."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from hrc_outreach.campaigns.translate import translated
    from hrc_outreach.errors import RenderError

    class Rewriting(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            out = [
                f"[{body['target']}] "
                + q.replace("https://elections.europa.eu/", "https://x.example/")
                for q in body["q"]
            ]
            data = json.dumps({"translatedText": out}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    (campaign / "en.md").write_text(BODY + "\n" + BODY_4 + "\n", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Rewriting)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("HRC_LIBRETRANSLATE_BASE_URL", f"http://127.0.0.1:{server.server_port}")
        i18n = settings.i18n.model_copy(update={"translator": "libretranslate"})
        cfg = settings.model_copy(update={"i18n": i18n})
        with pytest.raises(
            RenderError, match=r"'(nl|de)'.*https://elections\.europa\.eu/.*body\.4"
        ):
            draft_step(cfg, campaign, "one")
        store = open_store(settings)
        try:
            known = translated(
                [BODY_4, "Bring an identity document."], source="en", target="nl", store=store
            )
            assert list(known) == ["Bring an identity document."]  # the rewritten one forgotten
            for lang in ("nl", "de"):  # a person translates it (as the review page records it)
                record_reviewed(
                    store, {BODY_4: f"[{lang}] {BODY_4}"}, source_lang="en", target=lang
                )
        finally:
            store.dispose()
        drafted = draft_step(cfg, campaign, "one")
        nl = (drafted.out_dir / "nl" / "email.html").read_text(encoding="utf-8")
        assert 'href="https://elections.europa.eu/"' in nl and "x.example" not in nl
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

"""The translation policy: human > memory > machine > source text (or omitted)."""

from __future__ import annotations

import httpx

from hrc_outreach.config import load_settings
from hrc_outreach.i18n import memory
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.i18n.translators import DeepLTranslator, LibreTranslateTranslator
from hrc_outreach.models import Edition, Provenance, ReviewState
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items

LANGS = ["en", "fr", "de", "uk", "ar"]


def _deepl(url: str, client: httpx.Client) -> DeepLTranslator:
    return DeepLTranslator(client, "test-key", url, sleep=lambda s: None)


def test_without_translator_source_text_with_label_data(edition: Edition) -> None:
    out = localize_all(edition, LANGS, settings=load_settings(env={}))
    en, fr, de = out["en"], out["fr"], out["de"]
    assert all(i.provenance is Provenance.HUMAN for i in en.items) and not en.untranslated
    item3 = fr.items[2]
    assert (item3.title, item3.provenance, item3.review) == (
        "Troisième", Provenance.HUMAN, ReviewState.REVIEWED
    )
    first = de.items[0]
    assert first.provenance is Provenance.SOURCE and first.text_lang == "en" and first.untranslated
    assert "item001:title" in de.untranslated and "item001:summary" in de.untranslated
    assert "item004:summary" not in de.untranslated  # an empty summary needs no translation
    assert de.provenance_counts()["source"] == 4


def test_omit_leaves_untranslated_items_out(edition: Edition) -> None:
    settings = load_settings(env={}, i18n={"untranslated": "omit"})
    fr = localize_all(edition, ["fr"], settings=settings)["fr"]
    assert [i.item.id for i in fr.items] == ["item003"]
    assert [s.kind.value for s in fr.sections] == ["practices"]
    assert "item001:title" in fr.untranslated


def test_machine_translation_then_all_from_memory(
    edition: Edition, store: Store, deepl_server, client
) -> None:
    url, engine = deepl_server
    settings = load_settings(env={})
    first = localize_all(edition, LANGS, settings=settings, store=store,
                         translator=_deepl(url, client))
    de = first["de"]
    assert all(i.provenance is Provenance.MACHINE for i in de.items)
    assert all(i.machine_translated and i.review is ReviewState.UNREVIEWED for i in de.items)
    assert de.items[0].title.startswith("[DE] ")
    assert de.items[0].summary.startswith("[DE] <p>")
    assert not de.untranslated and not de.translation_errors
    # fr: item 3 has the source's own translation and is not sent.
    fr_texts = [t for r in engine.translate_requests() if r.body["target_lang"] == "FR"
                for t in r.body["text"]]
    assert not any("number 3" in t for t in fr_texts)
    sent = len(engine.translate_requests())
    assert sent == 2 * 4  # titles and summaries, for fr de uk ar

    again = localize_all(edition, LANGS, settings=settings, store=store,
                         translator=_deepl(url, client))
    assert len(engine.translate_requests()) == sent  # no new translation request
    assert [i.title for i in again["de"].items] == [i.title for i in de.items]
    assert all(i.provenance is Provenance.MEMORY for i in again["de"].items)
    assert again["de"].items[0].machine_translated


def test_memory_is_shared_across_editions_and_engines(
    edition: Edition, store: Store, deepl_server, libre_server, client
) -> None:
    d_url, d_engine = deepl_server
    localize_all(edition, ["de"], store=store, translator=_deepl(d_url, client))
    l_url, l_engine = libre_server
    libre = LibreTranslateTranslator(client, l_url, "test-key")
    later = edition.model_copy(update={"key": "2027-01"})
    out = localize_all(later, ["de"], store=store, translator=libre)
    assert not l_engine.translate_requests()
    assert out["de"].items[0].provenance is Provenance.MEMORY


def test_quota_exhausted_mid_edition_loses_nothing(
    edition: Edition, store: Store, deepl_server, client
) -> None:
    url, engine = deepl_server
    # fr: 3 titles + 2 summaries (item 3 has its own French); de: 4 titles pass, summaries get 456
    engine.quota_texts = 6
    out = localize_all(edition, LANGS, store=store, translator=_deepl(url, client))
    fr = out["fr"]
    assert not fr.untranslated and all(i.provenance is not Provenance.SOURCE for i in fr.items)
    de, uk, ar = out["de"], out["uk"], out["ar"]
    assert any("quota" in e for e in de.translation_errors)
    # the translator is not asked again after the 456
    assert len(engine.translate_requests()) == 4  # fr titles, fr summaries, de titles, de 456
    # a half-translated item is shown whole in the source language; the run names the strings
    assert set(de.untranslated) == {"item001:summary", "item002:summary", "item003:summary"}
    assert de.items[0].provenance is Provenance.SOURCE and de.items[0].text_lang == "en"
    assert all(i.provenance is Provenance.SOURCE for i in uk.items)
    assert set(uk.untranslated) == {
        "item001:title", "item001:summary", "item002:title", "item002:summary",
        "item003:title", "item003:summary", "item004:title",
    }
    assert ar.untranslated == uk.untranslated
    # what was translated before the quota ran out is in the memory
    with store.session() as s:
        fr_memory = memory.lookup(s, [edition.items[0].title], "fr")
        de_memory = memory.lookup(s, [edition.items[0].title], "de")
    assert fr_memory[edition.items[0].title].text.startswith("[FR] ")
    assert de_memory[edition.items[0].title].text.startswith("[DE] ")


def test_reviewed_item_translation_beats_memory(
    edition: Edition, store: Store, deepl_server, client
) -> None:
    url, _ = deepl_server
    localize_all(edition, ["de"], store=store, translator=_deepl(url, client))
    item = edition.items[0]
    with store.session() as s:
        upsert_items(s, edition.items)
        memory.record_item_translation(
            s, item_id=item.id, field="title", lang="de", source_text=item.title,
            text="Menschenrechtsstadt Nr. 1 eröffnet ein Wohnungsbüro",
        )
    de = localize_all(edition, ["de"], store=store)["de"]
    first = de.items[0]
    assert first.title == "Menschenrechtsstadt Nr. 1 eröffnet ein Wohnungsbüro"
    # title human+reviewed, summary from memory (machine, unreviewed): the weakest wins
    assert first.provenance is Provenance.MEMORY and first.review is ReviewState.UNREVIEWED
    # A changed source text makes the reviewed translation stale: it is not used.
    changed = edition.model_copy(update={"sections": (edition.sections[0].model_copy(
        update={"items": (item.model_copy(update={"title": "A new title"}),)}),)})
    de2 = localize_all(changed, ["de"], store=store)["de"]
    assert de2.items[0].title == "A new title" and de2.items[0].provenance is Provenance.SOURCE


def test_missing_key_is_reported_not_raised(edition: Edition) -> None:
    settings = load_settings(env={}, i18n={"translator": "deepl"})
    out = localize_all(edition, ["de"], settings=settings)
    assert any("HRC_DEEPL_API_KEY" in e for e in out["de"].translation_errors)
    assert out["de"].items[0].provenance is Provenance.SOURCE


def test_items_in_another_source_language(edition: Edition) -> None:
    from tests.i18n.conftest import make_item

    fr_item = make_item(9, title="Villes des droits humains à Lyon", summary="", language="fr")
    ed = edition.model_copy(update={"sections": (edition.sections[0].model_copy(
        update={"items": (fr_item,)}),)})
    out = localize_all(ed, ["en", "fr"])
    assert out["fr"].items[0].provenance is Provenance.HUMAN
    en = out["en"].items[0]
    assert en.provenance is Provenance.SOURCE and en.text_lang == "fr" and en.untranslated


def test_batches_respect_deepls_limits_at_the_server(
    store: Store, deepl_server, client
) -> None:
    from datetime import date

    from hrc_outreach.models import Section, SectionKind
    from tests.i18n.conftest import make_item

    url, engine = deepl_server
    big = "<p>" + "Human rights begin at home, in the city. " * 800 + "</p>"  # ≈ 33 KB
    items = tuple(
        make_item(n, summary=big.replace("home", f"home {n}") if n < 8 else "")
        for n in range(120)
    )
    ed = Edition(key="2026-12", title="t", issue_number=1, date=date(2026, 12, 1),
                 sections=(Section(kind=SectionKind.NEWS, items=items),))
    out = localize_all(ed, ["nl"], store=store, translator=_deepl(url, client))
    reqs = engine.translate_requests()
    assert all(len(r.body["text"]) <= 50 for r in reqs)
    assert all(r.size <= 128 * 1024 for r in reqs)
    titles = [r for r in reqs if len(r.body["text"]) > 8 or "<p>" not in r.body["text"][0]]
    assert sorted(len(r.body["text"]) for r in titles) == [20, 50, 50]
    summaries = [r for r in reqs if r not in titles]
    assert len(summaries) >= 3  # 8 × 33 KB do not fit in one 128 KiB request
    assert sum(len(r.body["text"]) for r in summaries) == 8
    assert not out["nl"].untranslated

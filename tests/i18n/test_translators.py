"""DeepL and LibreTranslate clients against local servers speaking their APIs."""

from __future__ import annotations

import httpx
import pytest

from hrc_outreach.config import load_settings
from hrc_outreach.errors import ConfigError, TranslationError
from hrc_outreach.i18n.translators import (
    DeepLTranslator,
    LibreTranslateTranslator,
    batches,
    translator_from_settings,
)
from hrc_outreach.i18n.translators.deepl import FREE_URL, PRO_URL, default_base_url


def _deepl(url: str, client: httpx.Client, sleeps: list[float] | None = None, **kw: object) -> DeepLTranslator:
    sink = sleeps if sleeps is not None else []
    return DeepLTranslator(client, "test-key", url, sleep=sink.append, **kw)  # type: ignore[arg-type]


def test_batches_respect_count_and_size() -> None:
    texts = ["x" * 10] * 120
    groups = list(batches(texts, 50, 10_000))
    assert [len(g) for g in groups] == [50, 50, 20]
    big = ["y" * 40_000] * 7
    groups = list(batches(big, 50, 120 * 1024))
    assert [len(g) for g in groups] == [3, 3, 1]
    assert sum(groups, []) == list(range(7))


def test_deepl_translates_with_auth_formality_and_html(deepl_server, client) -> None:
    url, engine = deepl_server
    tr = _deepl(url, client, use_glossary=False)
    out = tr.translate_batch(["<p>Hello</p>", "<p>World</p>"], source="en", target="fr", html=True)
    assert out == ["[FR] <p>Hello</p>", "[FR] <p>World</p>"]
    (req,) = engine.translate_requests()
    assert req.headers["Authorization"] == "DeepL-Auth-Key test-key"
    assert req.body["target_lang"] == "FR" and req.body["source_lang"] == "EN"
    assert req.body["tag_handling"] == "html"
    assert req.body["formality"] == "prefer_more"
    # Formality only where DeepL supports it; pt_PT is PT-PT.
    tr.translate_batch(["a"], source="en", target="hu", html=False)
    tr.translate_batch(["a"], source="en", target="pt_PT", html=False)
    hu, pt = engine.translate_requests()[1:]
    assert "formality" not in hu.body and hu.body["target_lang"] == "HU"
    assert pt.body["target_lang"] == "PT-PT" and pt.body["formality"] == "prefer_more"


def test_deepl_targets_cover_the_configured_languages() -> None:
    from hrc_outreach.config import DEFAULT_LANGUAGES
    from hrc_outreach.i18n.translators.deepl import TARGETS

    assert [TARGETS[lang] for lang in DEFAULT_LANGUAGES if lang != "en"] == [
        "FR", "NL", "DE", "ES", "IT", "PT-PT", "PL", "HU", "UK", "AR"
    ]


def test_free_keys_use_the_free_host() -> None:
    assert default_base_url("abc:fx") == FREE_URL
    assert default_base_url("abc") == PRO_URL


def test_deepl_glossary_is_created_once_and_used(deepl_server, client) -> None:
    url, engine = deepl_server
    engine.glossary_pairs = [("en", "fr"), ("en", "de")]
    tr = _deepl(url, client)
    out = tr.translate_batch(["Every Human Rights City joins DARE"], source="en", target="fr",
                             html=False)
    assert out == ["[FR] Every ville des droits humains joins DARE"]
    (glossary,) = engine.glossaries.values()
    assert glossary["entries"]["Human Rights City"] == "ville des droits humains"
    assert glossary["entries"]["CAREinCities"] == "CAREinCities"
    assert engine.translate_requests()[0].body["glossary_id"] == glossary["glossary_id"]
    # A second translator (a second run) finds the glossary by name instead of creating another.
    tr2 = _deepl(url, client)
    tr2.translate_batch(["DARE"], source="en", target="fr", html=False)
    assert len(engine.glossaries) == 1


def test_deepl_without_a_glossary_pair_protects_the_terms(deepl_server, client) -> None:
    url, engine = deepl_server
    engine.glossary_pairs = [("en", "de")]  # no en->ar glossary
    tr = _deepl(url, client)
    out = tr.translate_batch(["The Human Rights Cities Network and DARE"], source="en",
                             target="ar", html=False)
    sent = engine.translate_requests()[0].body
    assert "glossary_id" not in sent and sent["tag_handling"] == "html"
    assert sent["text"] == [
        'The <span translate="no">Human Rights Cities Network</span> and '
        '<span translate="no">DARE</span>'
    ]
    assert out == ["[AR] The Human Rights Cities Network and DARE"]
    assert not engine.glossaries


def test_deepl_429_then_success_honours_retry_after(deepl_server, client) -> None:
    url, engine = deepl_server
    engine.script = [(429, {"Retry-After": "2"}), (503, {})]
    sleeps: list[float] = []
    tr = _deepl(url, client, sleeps, use_glossary=False)
    assert tr.translate_batch(["Hi"], source="en", target="de", html=False) == ["[DE] Hi"]
    assert len(engine.translate_requests()) == 3
    # Retry-After, then the one retry policy's backoff: full jitter up to 0.5 * 2
    assert sleeps[0] == 2.0 and len(sleeps) == 2 and 0 <= sleeps[1] <= 1.0


def test_deepl_gives_up_after_the_retries(deepl_server, client) -> None:
    url, engine = deepl_server
    engine.script = [(500, {})] * 10
    tr = _deepl(url, client, retries=2, use_glossary=False)
    with pytest.raises(TranslationError, match="after 3 attempts") as err:
        tr.translate_batch(["Hi"], source="en", target="de", html=False)
    assert err.value.retryable and not err.value.fatal
    assert len(engine.translate_requests()) == 3


def test_deepl_456_is_fatal_and_not_retried(deepl_server, client) -> None:
    url, engine = deepl_server
    engine.quota_texts = 0
    tr = _deepl(url, client, use_glossary=False)
    with pytest.raises(TranslationError, match="quota") as err:
        tr.translate_batch(["Hi"], source="en", target="de", html=False)
    assert err.value.fatal
    assert len(engine.translate_requests()) == 1


def test_deepl_wrong_key_is_fatal(deepl_server, client) -> None:
    url, _ = deepl_server
    tr = DeepLTranslator(client, "wrong", url, use_glossary=False)
    with pytest.raises(TranslationError, match="HRC_DEEPL_API_KEY") as err:
        tr.translate_batch(["Hi"], source="en", target="de", html=False)
    assert err.value.fatal


def test_libretranslate_request_shape(libre_server, client) -> None:
    url, engine = libre_server
    tr = LibreTranslateTranslator(client, url, "test-key")
    out = tr.translate_batch(["<p>Join DARE</p>", "Hi"], source="en", target="pt_PT", html=True)
    assert out == ["[pt] <p>Join DARE</p>", "[pt] Hi"]
    (req,) = engine.translate_requests()
    assert req.path == "/translate"
    assert req.body == {
        "q": ['<p>Join <span translate="no">DARE</span></p>', "Hi"],
        "source": "en", "target": "pt", "format": "html", "api_key": "test-key",
    }


def test_libretranslate_429_then_success(libre_server, client) -> None:
    url, engine = libre_server
    engine.script = [(429, {"Retry-After": "0"})]
    tr = LibreTranslateTranslator(client, url, "test-key", sleep=lambda s: None)
    assert tr.translate_batch(["Hi"], source="en", target="uk", html=False) == ["[uk] Hi"]
    assert len(engine.translate_requests()) == 2


def test_factory_reads_keys_and_urls_from_the_environment(deepl_server) -> None:
    url, _ = deepl_server
    settings = load_settings(env={"HRC_TRANSLATOR": "deepl"})
    env = {"HRC_DEEPL_API_KEY": "k:fx"}
    tr = translator_from_settings(settings, env=env)
    assert isinstance(tr, DeepLTranslator) and tr.base_url == FREE_URL
    tr = translator_from_settings(settings, env={**env, "HRC_DEEPL_BASE_URL": url})
    assert isinstance(tr, DeepLTranslator) and tr.base_url == url
    with pytest.raises(ConfigError, match="HRC_DEEPL_API_KEY"):
        translator_from_settings(settings, env={})
    libre = load_settings(env={"HRC_TRANSLATOR": "libretranslate"})
    with pytest.raises(ConfigError, match="HRC_LIBRETRANSLATE_BASE_URL"):
        translator_from_settings(libre, env={})
    tr2 = translator_from_settings(libre, env={"HRC_LIBRETRANSLATE_BASE_URL": "http://x:5000/"})
    assert isinstance(tr2, LibreTranslateTranslator) and tr2.base_url == "http://x:5000"
    assert translator_from_settings(load_settings(env={})) is None


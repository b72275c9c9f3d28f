"""LibreTranslate (``POST /translate`` with a list of texts). It has no glossary: the network's key
terms are protected in the text with ``<span translate="no">`` and put back afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from hrc_outreach.errors import TranslationError
from hrc_outreach.i18n import glossary
from hrc_outreach.i18n.translators.base import HttpTranslator

# Configured language -> LibreTranslate code (it has one Portuguese).
TARGETS = {
    "en": "en", "fr": "fr", "nl": "nl", "de": "de", "es": "es", "it": "it", "pt_PT": "pt",
    "pt": "pt", "pl": "pl", "hu": "hu", "uk": "uk", "ar": "ar",
}


class LibreTranslateTranslator(HttpTranslator):
    """A LibreTranslate server (self-hosted or libretranslate.com), with an httpx client."""

    name = "libretranslate"
    max_texts = 50
    max_bytes = 64 * 1024

    def __init__(
        self, client: httpx.Client, base_url: str, api_key: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(client, base_url, api_key, **kwargs)

    def supports(self, target: str) -> bool:
        return target.replace("-", "_") in TARGETS

    def translate_batch(
        self, texts: Sequence[str], *, source: str, target: str, html: bool
    ) -> list[str]:
        code = TARGETS.get(target.replace("-", "_"))
        if code is None:
            raise TranslationError(f"libretranslate: no target for language {target!r}")
        body: dict[str, Any] = {
            "q": [glossary.protect(t, target) for t in texts],
            "source": TARGETS.get(source.replace("-", "_"), glossary.base_lang(source)),
            "target": code,
            "format": "html",  # always: the glossary protection is markup
        }
        if self.api_key:
            body["api_key"] = self.api_key
        r = self._post("/translate", json=body)
        try:
            out = r.json()["translatedText"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TranslationError(
                f"libretranslate: unreadable answer from {self.base_url}: {exc}"
            ) from exc
        if isinstance(out, str):
            out = [out]
        if len(out) != len(texts):
            raise TranslationError(
                f"libretranslate: asked for {len(texts)} translations, got {len(out)}"
            )
        return [glossary.restore(t) for t in out]

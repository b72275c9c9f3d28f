"""DeepL (``POST /v2/translate``): batches of ≤ 50 texts and ≤ 128 KiB, formality where the target
supports it, the network's glossary through DeepL's glossary API where the language pair has one
(else the terms are protected in the text), 429/5xx retried, 456 (quota exhausted) fatal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from hrc_outreach.errors import TranslationError
from hrc_outreach.i18n import glossary
from hrc_outreach.i18n.translators.base import HttpTranslator

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"

# Configured language -> DeepL target code.
TARGETS = {
    "en": "EN-GB", "fr": "FR", "nl": "NL", "de": "DE", "es": "ES", "it": "IT", "pt_PT": "PT-PT",
    "pt": "PT-PT", "pt_BR": "PT-BR", "pl": "PL", "hu": "HU", "uk": "UK", "ar": "AR",
}
# Targets where DeepL accepts the formality parameter.
FORMALITY = frozenset({"DE", "FR", "IT", "ES", "NL", "PL", "PT-PT", "PT-BR", "JA", "RU"})


def default_base_url(api_key: str | None) -> str:
    """Free keys end with ``:fx`` and only work on the free host."""
    return FREE_URL if (api_key or "").endswith(":fx") else PRO_URL


class DeepLTranslator(HttpTranslator):
    """DeepL's REST API v2, with an httpx client from the caller."""

    name = "deepl"
    max_texts = 50
    max_bytes = 120 * 1024  # 128 KiB per request, less the JSON around the texts
    fatal_statuses = frozenset({401, 403, 456})

    def __init__(
        self,
        client: httpx.Client,
        api_key: str,
        base_url: str | None = None,
        *,
        formality: str = "prefer_more",
        use_glossary: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(client, base_url or default_base_url(api_key), api_key, **kwargs)
        self.formality = formality
        self.use_glossary = use_glossary
        self._pairs: set[tuple[str, str]] | None = None
        self._glossaries: dict[tuple[str, str], str | None] = {}

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"DeepL-Auth-Key {self.api_key}"}

    def supports(self, target: str) -> bool:
        return target in TARGETS or target.replace("-", "_") in TARGETS

    def _refuse(self, url: str, response: httpx.Response) -> None:
        if response.status_code == 456:
            raise TranslationError(
                f"deepl: {url} answered 456: the DeepL character quota is used up; no more "
                "strings are machine-translated in this run (they fall back per the policy) — "
                "raise the quota or wait for the next billing period",
                fatal=True,
            )
        super()._refuse(url, response)

    # -------------------------------------------------------------------------------- glossary

    def _glossary_pairs(self) -> set[tuple[str, str]]:
        if self._pairs is None:
            r = self._request("GET", "/v2/glossary-language-pairs", headers=self._headers)
            self._pairs = {
                (p["source_lang"].lower(), p["target_lang"].lower())
                for p in r.json().get("supported_languages", [])
            }
        return self._pairs

    def glossary_id(self, source: str, target: str) -> str | None:
        """The id of the network's glossary for this pair at DeepL (found by name, else created),
        or None where DeepL has no glossary for the pair."""
        src, tgt = glossary.base_lang(source), glossary.base_lang(target)
        key = (src, tgt)
        if key in self._glossaries:
            return self._glossaries[key]
        gid: str | None = None
        if (src, tgt) in self._glossary_pairs() and src == "en":
            name = f"hrc-outreach-{src}-{tgt}-{glossary.glossary_hash(target)}"
            listed = self._request("GET", "/v2/glossaries", headers=self._headers).json()
            for g in listed.get("glossaries", []):
                if g.get("name") == name:
                    gid = g["glossary_id"]
                    break
            if gid is None:
                tsv = "\n".join(f"{k}\t{v}" for k, v in sorted(glossary.entries(target).items()))
                created = self._post(
                    "/v2/glossaries",
                    headers=self._headers,
                    json={"name": name, "source_lang": src, "target_lang": tgt,
                          "entries": tsv, "entries_format": "tsv"},
                )
                gid = created.json()["glossary_id"]
        self._glossaries[key] = gid
        return gid

    # ------------------------------------------------------------------------------- translate

    def translate_batch(
        self, texts: Sequence[str], *, source: str, target: str, html: bool
    ) -> list[str]:
        code = TARGETS.get(target.replace("-", "_"))
        if code is None:
            raise TranslationError(f"deepl: no DeepL target for language {target!r}")
        gid = self.glossary_id(source, target) if self.use_glossary else None
        sent = list(texts)
        if gid is None and self.use_glossary:
            sent = [glossary.protect(t, target) for t in sent]
        body: dict[str, Any] = {
            "text": sent,
            "source_lang": glossary.base_lang(source).upper(),
            "target_lang": code,
        }
        if html or gid is None:
            body["tag_handling"] = "html"
        if gid is not None:
            body["glossary_id"] = gid
        if self.formality != "default" and code in FORMALITY:
            body["formality"] = self.formality
        r = self._post("/v2/translate", headers=self._headers, json=body)
        try:
            out = [t["text"] for t in r.json()["translations"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise TranslationError(f"deepl: unreadable answer from {self.base_url}: {exc}") from exc
        if len(out) != len(sent):
            raise TranslationError(
                f"deepl: asked for {len(sent)} translations, got {len(out)} from {self.base_url}"
            )
        return [glossary.restore(t) for t in out] if gid is None else out

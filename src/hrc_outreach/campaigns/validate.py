"""Checking a campaign before anyone previews it: every problem with its place in the files.

Each check reads the file's data defensively, so one wrong value never hides the others: an
unknown segment, a step missing a language that nothing can translate, a send time in the past or
after the reference day, a relative or non-https link, a country code that is not ISO 3166-1, an
empty audience, a body file that is missing.

>>> problems = validate_campaign(settings, Path("campaigns/eu-elections"))   # doctest: +SKIP
>>> [p.where for p in problems]                                              # doctest: +SKIP
['campaign.yaml:4 timezone', 'campaign.yaml:9 audience.segments[0]']
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from babel import Locale, UnknownLocaleError
from markdown_it import MarkdownIt
from pydantic import ValidationError

from hrc_outreach.campaigns.catalogs import missing_campaign_strings
from hrc_outreach.campaigns.load import CampaignFileError, CampaignSource, Path_, read_campaign
from hrc_outreach.campaigns.model import Campaign, Step
from hrc_outreach.config import Settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.models import Frozen

TEXT_FIELDS = ("subject", "body")  # every language needs these (the preheader is optional)


class Problem(Frozen):
    where: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"where": self.where, "message": self.message}


def https_problem(url: object) -> str | None:
    """Why ``url`` may not be a campaign link (absolute https only), or None."""
    if not isinstance(url, str) or not url.strip():
        return f"a link must be an https:// address, got {url!r}"
    parts = urlsplit(url.strip())
    if not parts.scheme:
        return f"{url!r} is a relative link: write the full https:// address"
    if parts.scheme.lower() != "https":
        return f"{url!r} is not an https link ({parts.scheme}:); use https://"
    if not parts.hostname:
        return f"{url!r} has no host name"
    return None


def country_problem(code: object) -> str | None:
    """Why ``code`` is not an ISO 3166-1 alpha-2 country code (``BE``, ``DE``), or None."""
    if not isinstance(code, str) or len(code) != 2 or not code.isalpha() or not code.isupper():
        hint = ""
        if isinstance(code, str) and len(code) == 2 and code.isalpha():
            hint = f" (write it in capitals: {code.upper()})" if code.upper() != code else ""
        return f"{code!r} is not an ISO 3166-1 alpha-2 country code{hint}"
    if pycountry.countries.get(alpha_2=code) is None:
        iso = {"EL": "GR", "UK": "GB"}.get(code)
        extra = f"; the EU writes {code} but ISO 3166-1 says {iso}" if iso else ""
        return f"{code!r} is not an ISO 3166-1 country code{extra}"
    return None


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Checker:
    def __init__(
        self,
        settings: Settings,
        src: CampaignSource,
        now: datetime | None,
        segments: set[str] | None,
    ) -> None:
        self.settings = settings
        self.src = src
        self.data = src.data
        self.now = now
        self.segments = segments
        self.problems: list[Problem] = []
        self._translator: Any = None
        self._translator_error: str | None = None
        self._translator_loaded = False

    def add(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(where=self.src.place(path), message=message))

    def at_file(self, file: Path, line: int | None, message: str) -> None:
        where = f"{file.name}:{line}" if line else file.name
        self.problems.append(Problem(where=where, message=message))

    # ------------------------------------------------------------------------------ the checks

    def schema(self) -> Campaign | None:
        try:
            return Campaign.model_validate(self.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
                self.add(loc, f"{err['msg']} (got {err.get('input')!r})"
                         if err["type"] != "missing" else "is required")  # fmt: skip
            return None

    def zone(self) -> ZoneInfo | None:
        tz = self.data.get("timezone")
        if tz is None:
            return None  # the schema says it is missing
        try:
            return ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            self.add(("timezone",), f"unknown time zone {tz!r} (an IANA name: Europe/Brussels)")
            return None

    def languages(self) -> list[str]:
        langs = _as_list(self.data.get("languages"))
        if "languages" in self.data and not langs:
            self.add(("languages",), "no language: list the languages the campaign is written in")
        good = []
        for i, lang in enumerate(langs):
            try:
                Locale.parse(str(lang).replace("-", "_"))
            except (UnknownLocaleError, ValueError):
                self.add(("languages", i), f"unknown language code {lang!r} (e.g. fr, pt_PT, fa)")
                continue
            good.append(str(lang))
            missing = missing_campaign_strings(str(lang))
            if missing:
                self.add(("languages", i), f"the template catalog of {lang!r} lacks what campaign "
                         f"messages need: {'; '.join(missing[:3])}"
                         + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""))  # fmt: skip
        return good

    def audience(self, languages: list[str]) -> None:
        aud = self.data.get("audience")
        if not isinstance(aud, dict):
            return  # the schema names it
        segs = _as_list(aud.get("segments"))
        if not segs:
            self.add(
                ("audience", "segments"),
                "empty audience: name at least one segment "
                "(subscribers/segments.yaml; `everyone` for every confirmed subscriber)",
            )
        for i, seg in enumerate(segs):
            if self.segments is not None and str(seg) not in self.segments:
                self.add(("audience", "segments", i), f"unknown segment {seg!r} (defined: "
                         f"{', '.join(sorted(self.segments))})")  # fmt: skip
        if "countries" in aud and not _as_list(aud.get("countries")):
            self.add(
                ("audience", "countries"),
                "empty audience: an empty list of countries "
                "matches nobody (leave the key out to mean every country)",
            )
        for i, code in enumerate(_as_list(aud.get("countries"))):
            if (why := country_problem(code)) is not None:
                self.add(("audience", "countries", i), why)
        if "languages" in aud and not _as_list(aud.get("languages")):
            self.add(
                ("audience", "languages"),
                "empty audience: an empty list of languages "
                "matches nobody (leave the key out to mean every language)",
            )
        for i, lang in enumerate(_as_list(aud.get("languages"))):
            if languages and str(lang) not in languages:
                self.add(
                    ("audience", "languages", i),
                    f"{lang!r} is not one of the campaign's "
                    f"languages ({', '.join(languages)}): those readers would get no message",
                )

    def translator(self) -> Any:
        if not self._translator_loaded:
            self._translator_loaded = True
            from hrc_outreach.i18n.translators import translator_from_settings

            try:
                self._translator = translator_from_settings(self.settings)
            except ConfigError as exc:
                self._translator_error = str(exc)
        return self._translator

    def translation_path(self, lang: str) -> str | None:
        """Why ``lang`` cannot be machine translated, or None when it can."""
        tr = self.translator()
        if tr is None:
            why = self._translator_error or "no machine translator is configured (i18n.translator)"
            return why
        if not tr.supports(lang):
            return f"the translator {tr.name!r} does not translate into {lang!r}"
        return None

    def steps(self, languages: list[str], zone: ZoneInfo | None) -> None:
        steps = _as_list(self.data.get("steps"))
        if "steps" in self.data and not steps:
            self.add(("steps",), "no step: a campaign sends at least one message")
        seen: dict[str, int] = {}
        source = str(self.data.get("source_language") or self.settings.i18n.source_language)
        for i, raw in enumerate(steps):
            step = _as_dict(raw)
            name = step.get("name")
            if isinstance(name, str):
                if name in seen:
                    self.add(("steps", i, "name"), f"step name {name!r} is used twice "
                             f"(also steps[{seen[name]}])")  # fmt: skip
                seen.setdefault(name, i)
            self.send_time(i, step, zone)
            self.texts(i, step, languages, source)
            self.cta(i, _as_dict(step.get("cta")), languages, source)

    def send_time(self, i: int, step: dict[str, Any], zone: ZoneInfo | None) -> None:
        ref = self.data.get("date")
        if "send_at" in step and "offset_days" in step:
            self.add(("steps", i), "give either send_at or offset_days (+ time), not both")
            return
        if zone is None or not isinstance(ref, date):
            return
        try:
            at = Step.model_validate(
                {
                    "name": "x",
                    **{k: step[k] for k in ("send_at", "offset_days", "time") if k in step},
                }
            )
        except ValidationError:
            return  # the schema names it
        when = at.send_time(ref, zone)
        key = next((k for k in ("send_at", "offset_days", "time") if k in step), None)
        path: Path_ = ("steps", i, key) if key else ("steps", i)
        real = when.astimezone(UTC).astimezone(zone)
        if real.replace(tzinfo=None) != when.replace(tzinfo=None):
            # a wall time in the spring-forward gap: Python would silently send an hour later
            self.add(path, f"the send time {when:%Y-%m-%d %H:%M} does not exist in {zone.key} "
                     f"(clocks skip it: daylight saving time); choose another time")  # fmt: skip
        if self.now is not None and when <= self.now:
            self.add(path, f"the send time {when:%Y-%m-%d %H:%M %Z} is in the past")
        end = Campaign.model_construct(date=ref, timezone=str(zone.key)).ends()
        if when >= end:
            self.add(path, f"the send time {when:%Y-%m-%d %H:%M %Z} is after the reference "
                     f"day {ref.isoformat()} ends")  # fmt: skip

    def texts(self, i: int, step: dict[str, Any], languages: list[str], source: str) -> None:
        for fieldname in TEXT_FIELDS:
            given = _as_dict(step.get(fieldname))
            for lang in languages:
                if given.get(lang):
                    continue
                if given.get(source) and (why := self.translation_path(lang)) is None:
                    continue  # translated by the policy when the step is rendered
                why = (
                    self.translation_path(lang)
                    if given.get(source)
                    else (f"and there is no {source!r} text to translate from either")
                )
                self.add(("steps", i, fieldname), f"no {fieldname} in {lang!r} and no way to "
                         f"translate one: {why}")  # fmt: skip
        bodies = _as_dict(step.get("body"))
        for lang, rel in bodies.items():
            self.body_file(("steps", i, "body", lang), rel)

    def body_file(self, path: Path_, rel: object) -> None:
        if not isinstance(rel, str) or not rel.strip():
            self.add(path, f"a body is a Markdown file name, got {rel!r}")
            return
        file = (self.src.path.parent / rel).resolve()
        if self.src.path.parent.resolve() not in file.parents:
            self.add(path, f"{rel!r} is outside the campaign's folder")
            return
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            self.add(path, f"cannot read the body file {rel!r}: {exc.strerror or exc}")
            return
        for line, url in markdown_links(text):
            if (why := https_problem(url)) is not None:
                self.at_file(file, line, why)

    def cta(self, i: int, cta: dict[str, Any], languages: list[str], source: str) -> None:
        if not cta:
            return
        if "url" in cta and (why := https_problem(cta.get("url"))) is not None:
            self.add(("steps", i, "cta", "url"), why)
        for code, url in _as_dict(cta.get("countries")).items():
            path: Path_ = ("steps", i, "cta", "countries", str(code))
            if (why := country_problem(code)) is not None:
                self.add(path, why)
            if (why := https_problem(url)) is not None:
                self.add(path, why)
        labels = _as_dict(cta.get("label"))
        for lang in languages:
            if labels.get(lang) or (labels.get(source) and self.translation_path(lang) is None):
                continue
            self.add(("steps", i, "cta", "label"), f"no call-to-action label in {lang!r} and no "
                     "way to translate one")  # fmt: skip


def markdown_links(text: str) -> Iterator[tuple[int, str]]:
    """(line, href) of every link and image in a Markdown text."""
    md = MarkdownIt("commonmark")
    for tok in md.parse(text):
        line = tok.map[0] + 1 if tok.map else None
        for child in tok.children or ():
            for attr in ("href", "src"):
                value = child.attrGet(attr)
                if value is not None:
                    yield (line or 0), str(value)


def known_segments(settings: Settings) -> set[str] | None:
    from hrc_outreach.audience.segments import load_segments, segments_path

    try:
        return set(load_segments(segments_path(settings)))
    except ConfigError:
        return None


def validate_campaign(
    settings: Settings, directory: Path, *, now: datetime | None = None, times: bool = True
) -> list[Problem]:
    """Every problem of the campaign in ``directory`` (empty: it may be previewed and approved).

    ``times=False``: a send time already past is no problem (a step launched by hand, late).
    """
    try:
        src = read_campaign(directory)
    except CampaignFileError as exc:
        at = f"{exc.path.name}:{exc.line}" if exc.line else exc.path.name
        return [Problem(where=at, message=exc.reason)]
    segments = known_segments(settings)
    check = _Checker(settings, src, (now or datetime.now(UTC)) if times else None, segments)
    if segments is None:
        check.add(("audience",), "the segments file cannot be read, so segments are unchecked")
    check.schema()
    zone = check.zone()
    langs = check.languages()
    check.audience(langs)
    check.steps(langs, zone)
    if check._translator is not None:
        check._translator.client.close()
    # one problem once, in file order
    unique = {(p.where, p.message): p for p in check.problems}
    return sorted(unique.values(), key=lambda p: _order(src, p.where))


def _order(src: CampaignSource, where: str) -> tuple[int, str]:
    head = where.split(" ", 1)[0]
    name, _, line = head.partition(":")
    return (int(line) if line.isdigit() and name == src.path.name else 10**6, where)


def load_campaign(settings: Settings, directory: Path) -> Campaign:
    """The campaign in ``directory``, valid (a step whose time has passed may still be launched
    by hand); ConfigError listing every problem otherwise."""
    problems = validate_campaign(settings, directory, times=False)
    if problems:
        lines = "\n".join(f"  {p.where}: {p.message}" for p in problems)
        raise ConfigError(f"campaign {directory} has {len(problems)} problem(s):\n{lines}")
    return Campaign.model_validate(read_campaign(directory).data)

"""Staff Markdown front matter: YAML read strictly, then checked field by field into a typed model.

Staff write front matter by hand, so every value is checked for its shape before it can reach a
reader: a title given as a list, tags as a mapping, ``draft: "true"`` as a string or
``language: Français`` must not become a Python repr, a published draft or ``lang="Français"``.

A field whose value is wrong is either fatal for its file (the file is skipped: title, kind, draft,
dates, country) or ignored with a note naming the file and the field (tags, all_day, language, links
and other optional text). YAML 1.1's "Norway problem" is avoided: only ``true``/``false`` are
booleans when the YAML is read, so ``country: NO`` stays Norway, and ``draft: yes`` is read by the
model as a yes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hrc_outreach.languages import normalise_language
from hrc_outreach.models import ItemKind

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)

# Fields whose wrong value makes the whole file unusable (skipping it is the safe choice: an
# unreadable `draft` might be a draft; a wrong date would misplace the item in an edition).
FATAL = frozenset(
    {"title", "kind", "draft", "date", "updated", "start", "end", "timezone", "country"}
)
_YES = frozenset({"true", "yes", "y", "on", "1"})
_NO = frozenset({"false", "no", "n", "off", "0"})
MAX_TEXT_CHARS = 2_000
MAX_TAGS = 50
MAX_TAG_CHARS = 60


class FileProblem(ValueError):
    """What is wrong with one file (becomes a warning naming it)."""


class _StrictBoolLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans: ``true``/``false`` only (``NO`` is Norway)."""


_StrictBoolLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _StrictBoolLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first]
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Markdown file; FileProblem when the front matter is broken.

    >>> split_front_matter("---\\ntitle: Hi\\n---\\nBody")
    ({'title': 'Hi'}, 'Body')
    """
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return {}, text
    match = _FRONT.match(text)
    if not match:
        raise FileProblem("front matter starts with '---' but has no closing '---' line")
    try:
        data = yaml.load(match.group(1).replace("\t", "  "), Loader=_StrictBoolLoader) or {}  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise FileProblem(f"front matter is not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise FileProblem("front matter must be a mapping of keys (title: ...)")
    return {str(k): v for k, v in data.items()}, text[match.end() :]


def _shape(value: Any) -> str:
    """What a value is, in words staff know (never a Python repr)."""
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    if isinstance(value, list | tuple | set):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def _line(value: Any) -> Any:
    """One line of text from a scalar; a list, mapping or true/false is refused, not repr'd."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        raise ValueError(f"must be one line of text, not {_shape(value)}")
    text = " ".join(str(value).split())
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_TEXT_CHARS}")
    return text or None


def _block(value: Any) -> Any:
    """Markdown text (newlines kept) from a scalar."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be text, not {_shape(value)}")
    return str(value).strip() or None


def _tags(value: Any) -> Any:
    """Tags as a YAML list of words or one comma-separated line."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts: list[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValueError(f"must be a list ([a, b]) or a comma-separated line, not {_shape(value)}")
    tags: list[str] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, bool) or not isinstance(part, str | int | float):
            raise ValueError(f"each tag must be a word or short phrase, not {_shape(part)}")
        tag = " ".join(str(part).split())
        if len(tag) > MAX_TAG_CHARS:
            raise ValueError(f"a tag is {len(tag)} characters long; at most {MAX_TAG_CHARS}")
        if tag:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"{len(tags)} tags; at most {MAX_TAGS}")
    return tuple(tags)


def _when(value: Any) -> Any:
    """A date or date-time as YAML read it, or a string parsed later with the file's zone."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date | str):
        return value
    raise ValueError(
        f"must be a date (2026-10-14) or date-time (2026-12-03T14:00:00), not {_shape(value)}"
    )


Line = Annotated[str | None, BeforeValidator(_line)]
Block = Annotated[str | None, BeforeValidator(_block)]
When = Annotated[date | datetime | str | None, BeforeValidator(_when)]


class TranslationText(BaseModel):
    """One human translation of the item's title and summary."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    title: Line = Field(default=None, validate_default=True)
    summary: Block = None

    @field_validator("title")
    @classmethod
    def _needs_title(cls, v: str | None) -> str:
        if not v:
            raise ValueError("needs a title")
        return v


class FrontMatter(BaseModel):
    """The front matter of one staff Markdown file, every field checked for its shape."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    title: Line = Field(default=None, validate_default=True)
    kind: ItemKind | None = None
    draft: bool = False
    date: When = None
    updated: When = None
    project: Line = None
    city: Line = None
    country: Line = None
    region: Line = None
    session: Line = None
    tags: Annotated[tuple[str, ...], BeforeValidator(_tags)] = ()
    url: Line = None
    image: Line = None
    image_alt: Line = None
    summary: Block = None
    start: When = None
    end: When = None
    timezone: Line = None
    all_day: bool | None = None
    location: Line = None
    online_url: Line = None
    registration_url: Line = None
    language: Line = None
    translations: dict[str, Any] = Field(default_factory=dict)

    @field_validator("title")
    @classmethod
    def _needs_title(cls, v: str | None) -> str:
        if not v:
            raise ValueError("is missing: every file needs a title")
        return v

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, str) or v.strip() not in {k.value for k in ItemKind}:
            choices = ", ".join(k.value for k in ItemKind)
            shown = v.strip() if isinstance(v, str) else _shape(v)
            raise ValueError(f"{shown!r} is not one of {choices}")
        return v.strip()

    @field_validator("draft", "all_day", mode="before")
    @classmethod
    def _yes_no(cls, v: Any) -> Any:
        # Written by hand as true, "true", yes, "No", 1...: all mean what they say.
        if v is None or isinstance(v, bool):
            return v
        word = str(v).strip().casefold() if isinstance(v, str | int) else None
        if word in _YES:
            return True
        if word in _NO:
            return False
        shown = repr(v) if isinstance(v, str | int) else _shape(v)
        raise ValueError(f"must be true or false, not {shown}")

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        languages: Sequence[str] = (info.context or {}).get("languages", ())
        found = normalise_language(v, languages)
        if found is None:
            raise ValueError(
                f"{v!r} is not one of the configured languages "
                f"({', '.join(languages)}); write a code such as fr or a name such "
                "as Français"
            )
        return found

    @field_validator("translations", mode="before")
    @classmethod
    def _translations(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError(
                f"must map a language to {{title: ..., summary: ...}}, not {_shape(v)}"
            )
        return {str(k): text for k, text in v.items()}


def _field(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"]) or "front matter"


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def read_front_matter(
    data: dict[str, Any], languages: Sequence[str]
) -> tuple[FrontMatter, list[str]]:
    """The checked front matter and notes on fields ignored; FileProblem when the file is unusable.

    >>> fm, notes = read_front_matter({"title": "T", "tags": {"a": 1}}, ["en"])
    >>> fm.tags, notes
    ((), ['tags ignored: must be a list ([a, b]) or a comma-separated line, not a mapping (key: value pairs)'])
    """
    data = dict(data)
    notes: list[str] = []
    context = {"languages": tuple(languages)}
    for _ in range(2):  # a second pass only after dropping the fields that may be ignored
        try:
            return FrontMatter.model_validate(data, context=context), notes
        except ValidationError as exc:
            errors = exc.errors()
        fatal = [e for e in errors if _field(e).split(".")[0] in FATAL]
        if fatal:
            raise FileProblem("; ".join(f"{_field(e)}: {_message(e)}" for e in fatal))
        for e in errors:
            name = _field(e).split(".")[0]
            notes.append(f"{name} ignored: {_message(e)}")
            data.pop(name, None)
    raise FileProblem("front matter could not be read")  # pragma: no cover - defaults always pass


def read_translations(
    value: dict[str, Any], languages: Sequence[str]
) -> tuple[dict[str, TranslationText], list[str]]:
    """Each translation checked on its own: a bad one is ignored with a note, the others kept."""
    out: dict[str, TranslationText] = {}
    notes: list[str] = []
    for key, text in value.items():
        lang = normalise_language(key, languages)
        if lang is None:
            notes.append(
                f"translations.{key} ignored: {key!r} is not one of the configured "
                f"languages ({', '.join(languages)})"
            )
            continue
        if not isinstance(text, dict):
            notes.append(
                f"translations.{key} ignored: must be {{title: ..., summary: ...}}, "
                f"not {_shape(text)}"
            )
            continue
        try:
            checked = TranslationText.model_validate(text)
        except ValidationError as exc:
            reasons = "; ".join(f"{_field(e)}: {_message(e)}" for e in exc.errors())
            notes.append(f"translations.{key} ignored: {reasons}")
            continue
        if lang in out:
            notes.append(f"translations.{key} ignored: a second translation into {lang}")
            continue
        out[lang] = checked
    return out, notes

"""Named audience segments (``subscribers/segments.yaml``) and selecting their members.

A segment matches a subscriber that has at least one of its ``tags``, when ``languages`` is
given reads one of them, and when ``countries`` is given lives in one of them (ISO 3166-1 alpha-2);
a segment without tags, languages or countries matches everyone.

>>> seg = Segment(name="voters", tags=("dare",))
>>> seg.matches(tags=["dare", "city"], language="fr")
True
>>> Segment(name="voters-be", tags=("dare",), countries=("BE",)).matches(
...     tags=["dare"], language="fr", country="DE")
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pycountry
import yaml
from pydantic import ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from hrc_outreach.audience.snapshot import AudienceMember, audience_snapshot
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError, ConfigError
from hrc_outreach.models import Frozen
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store.tables import SubscriberRow


class Segment(Frozen):
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # of residence, ISO 3166-1 alpha-2
    # offered on the public preferences page: a subscriber may join or leave it there
    public: bool = False

    @field_validator("countries")
    @classmethod
    def _iso(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in v if len(c) != 2 or pycountry.countries.get(alpha_2=c.upper()) is None]
        if bad:
            raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {', '.join(bad)}")
        return tuple(c.upper() for c in v)

    def matches(self, *, tags: Iterable[str], language: str, country: str | None = None) -> bool:
        if self.tags and not set(self.tags).intersection(tags):
            return False
        if self.countries and (country or "").upper() not in self.countries:
            return False
        return not self.languages or language in self.languages


def segments_path(settings: Settings) -> Path:
    """``[audience] segments_file``, else the project's ``subscribers/segments.yaml``."""
    configured = settings.audience.segments_file
    return settings.resolve(configured) if configured else SUBSCRIBERS_DIR / "segments.yaml"


def load_segments(path: Path) -> dict[str, Segment]:
    """The segments defined in ``path``; ConfigError naming the file and segment if malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read the segments file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    raw = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a top-level 'segments:' mapping of name -> rule")
    out: dict[str, Segment] = {}
    for name, rule in raw.items():
        try:
            out[str(name)] = Segment(name=str(name), **(rule or {}))
        except (TypeError, ValidationError) as exc:
            raise ConfigError(f"{path}: segment {name!r} is malformed: {exc}") from exc
    return out


def select_segment(
    session: Session, settings: Settings, names: Sequence[str]
) -> list[AudienceMember]:
    """Confirmed, unsuppressed members of any of the named segments, ordered by id."""
    defined = load_segments(segments_path(settings))
    unknown = [n for n in names if n not in defined]
    if unknown:
        raise AudienceError(
            f"unknown segment(s) {', '.join(unknown)}; defined: {', '.join(sorted(defined))}"
        )
    chosen = [defined[n] for n in names]
    members = audience_snapshot(session, languages=settings.i18n.languages)
    if not members:
        return []
    rows = session.execute(select(SubscriberRow.id, SubscriberRow.segments, SubscriberRow.country))
    tags = {sid: (segs or (), country) for sid, segs, country in rows.tuples()}
    return [
        m
        for m in members
        if any(
            s.matches(
                tags=tags.get(m.subscriber_id, ((), None))[0],
                language=m.language,
                country=tags.get(m.subscriber_id, ((), None))[1],
            )
            for s in chosen
        )
    ]

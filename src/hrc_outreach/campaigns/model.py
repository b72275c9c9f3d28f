"""A campaign as staff write it: ``campaigns/<name>/campaign.yaml`` plus Markdown bodies.

Steps are dated from the campaign's reference day (``date``, e.g. election day) in its own time
zone: ``offset_days`` and ``time`` (``-7`` and ``"10:00"``: a week before, at ten), or an absolute
``send_at``. Texts are given per language; a language left out is translated by the translation
policy when a machine translator that supports it is configured.

>>> step = Step(name="reminder", offset_days=-7, time="10:00", subject={"en": "Register now"},
...             body={"en": "reminder.en.md"})
>>> step.send_time(date(2029, 6, 7), ZoneInfo("Europe/Brussels")).isoformat()
'2029-05-31T10:00:00+02:00'
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from hrc_outreach.models import CAMPAIGN_KEY_PREFIX, Frozen


class Audience(Frozen):
    """Who a campaign is for: subscribers in any of ``segments``, optionally only those living in
    ``countries`` (ISO 3166-1 alpha-2) or reading ``languages``, holding ``consent`` (a topic or a
    segment tag they agreed to; empty: a confirmed subscription is enough)."""

    segments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    consent: str = ""


class Cta(Frozen):
    """The call to action: a label per language, a link, and a link per country where it differs."""

    label: dict[str, str] = Field(default_factory=dict)
    url: str
    countries: dict[str, str] = Field(default_factory=dict)


class Step(Frozen):
    """One message of a campaign."""

    name: str
    send_at: datetime | None = None
    offset_days: int | None = None
    time: str = "10:00"
    subject: dict[str, str] = Field(default_factory=dict)
    preheader: dict[str, str] = Field(default_factory=dict)
    body: dict[str, str] = Field(default_factory=dict)  # language -> Markdown file (relative)
    cta: Cta | None = None
    social: bool = False

    @field_validator("time")
    @classmethod
    def _hh_mm(cls, v: str) -> str:
        time.fromisoformat(v)  # ValueError names the bad value
        return v

    def send_time(self, reference: date, zone: ZoneInfo) -> datetime:
        """When this step goes out, in the campaign's zone (an absolute ``send_at`` without a zone
        is read in that zone)."""
        if self.send_at is not None:
            at = self.send_at
            return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)
        day = reference + timedelta(days=self.offset_days or 0)
        return datetime.combine(day, time.fromisoformat(self.time), tzinfo=zone)


class Campaign(Frozen):
    name: str
    title: str
    goal: str = ""
    date: date
    timezone: str
    audience: Audience
    languages: tuple[str, ...]
    source_language: str = "en"
    steps: tuple[Step, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def key(self, step: str) -> str:
        """The key the drafts, approvals and send job of a step are kept under."""
        return f"{CAMPAIGN_KEY_PREFIX}{self.name}:{step}"

    def ends(self) -> datetime:
        """The end of the reference day in the campaign's zone: no step goes out later."""
        return datetime.combine(self.date + timedelta(days=1), time(0), tzinfo=self.zone)

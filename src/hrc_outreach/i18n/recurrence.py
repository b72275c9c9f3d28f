"""A recurring event's rule in words, in every configured language: "every second Wednesday of
the month, 16:00 CET, next on 9 Dec 2026".

CLDR (Babel) gives weekday names, dates, times, zone names, lists and counted units ("2 weeks",
"5 dni"); it has no words for a recurrence rule, so the phrases are here, one table per language,
written with the grammar each needs (Polish and Ukrainian weekdays in the accusative with an
ordinal that agrees, Hungarian case endings, Arabic forms). The common rules have their own words
(daily, weekly on days, every n weeks, monthly on the n-th/last weekday or a day of the month,
monthly, yearly); any other rule says "recurring" with the next date, never a wrong rule.
Languages without a table use the English one (:func:`has_phrases` tells which do).

A series' end is the day of its last occurrence in the zone shown, not the UTC day of its
UNTIL: a Los Angeles series whose last Thursday is 17 December at 18:00 has
UNTIL=20261218T020000Z (:mod:`hrc_outreach.i18n.series_end`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_skeleton
from babel.lists import format_list
from babel.units import format_unit
from icalendar.prop import vRecur

from hrc_outreach.i18n.catalog import babel_locale
from hrc_outreach.i18n.formatting import zone_name
from hrc_outreach.i18n.series_end import aware, last_occurrence_day, zone

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Phrases:
    """One language's words for rules. ``{d}``: a weekday phrase; ``{n}``: a number; ``{u}``: a
    counted unit from CLDR ("2 weeks"); ``{o}``: an ordinal; ``{r}``/``{t}``/``{x}``: rule, time,
    next date."""

    weekly: tuple[str, ...]  # "every Monday" for each weekday, Monday first
    nth: tuple[str, ...]  # "every {o} Monday of the month" for each weekday
    ordinals: tuple[tuple[str, ...], ...]  # per weekday gender group: 1st..5th, then last
    gender: tuple[int, ...]  # each weekday's index into ``ordinals``
    daily: str
    every_days: str  # {u}: "5 days"
    every_weeks: str  # {u}: "2 weeks"; then ", {days}" when the rule names days
    month_day: str  # {n}
    monthly: str
    yearly: str
    recurring: str
    with_time: str  # {r}, {t}, {x}
    without_time: str  # {r}, {x}
    until: str  # {r}, {x}


_EN = Phrases(
    weekly=tuple(
        f"every {d}"
        for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ),
    nth=tuple(
        f"every {{o}} {d} of the month"
        for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ),
    ordinals=(("first", "second", "third", "fourth", "fifth", "last"),),
    gender=(0,) * 7,
    daily="every day",
    every_days="every {u}",
    every_weeks="every {u}",
    month_day="every month on day {n}",
    monthly="every month",
    yearly="every year",
    recurring="recurring",
    with_time="{r}, {t}, next on {x}",
    without_time="{r}, next on {x}",
    until="{r} until {x}",
)

_PHRASES: dict[str, Phrases] = {
    "en": _EN,
    "fr": Phrases(
        weekly=tuple(
            f"chaque {d}"
            for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
        ),
        nth=tuple(
            f"le {{o}} {d} de chaque mois"
            for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
        ),
        ordinals=(("premier", "deuxième", "troisième", "quatrième", "cinquième", "dernier"),),
        gender=(0,) * 7,
        daily="tous les jours",
        every_days="tous les {u}",
        every_weeks="toutes les {u}",
        month_day="le {n} de chaque mois",
        monthly="tous les mois",
        yearly="tous les ans",
        recurring="récurrent",
        with_time="{r}, {t}, prochaine date : {x}",
        without_time="{r}, prochaine date : {x}",
        until="{r} jusqu’au {x}",
    ),
    "nl": Phrases(
        weekly=tuple(
            f"elke {d}"
            for d in (
                "maandag",
                "dinsdag",
                "woensdag",
                "donderdag",
                "vrijdag",
                "zaterdag",
                "zondag",
            )
        ),
        nth=tuple(
            f"elke {{o}} {d} van de maand"
            for d in (
                "maandag",
                "dinsdag",
                "woensdag",
                "donderdag",
                "vrijdag",
                "zaterdag",
                "zondag",
            )
        ),
        ordinals=(("eerste", "tweede", "derde", "vierde", "vijfde", "laatste"),),
        gender=(0,) * 7,
        daily="elke dag",
        every_days="om de {u}",
        every_weeks="om de {u}",
        month_day="elke maand op de {n}e",
        monthly="elke maand",
        yearly="elk jaar",
        recurring="terugkerend",
        with_time="{r}, {t}, volgende keer op {x}",
        without_time="{r}, volgende keer op {x}",
        until="{r} tot {x}",
    ),
    "de": Phrases(
        weekly=tuple(
            f"jeden {d}"
            for d in (
                "Montag",
                "Dienstag",
                "Mittwoch",
                "Donnerstag",
                "Freitag",
                "Samstag",
                "Sonntag",
            )
        ),
        nth=tuple(
            f"jeden {{o}} {d} im Monat"
            for d in (
                "Montag",
                "Dienstag",
                "Mittwoch",
                "Donnerstag",
                "Freitag",
                "Samstag",
                "Sonntag",
            )
        ),
        ordinals=(("ersten", "zweiten", "dritten", "vierten", "fünften", "letzten"),),
        gender=(0,) * 7,
        daily="täglich",
        every_days="alle {u}",
        every_weeks="alle {u}",
        month_day="monatlich am {n}.",
        monthly="monatlich",
        yearly="jährlich",
        recurring="regelmäßig",
        with_time="{r}, {t}, nächster Termin am {x}",
        without_time="{r}, nächster Termin am {x}",
        until="{r} bis {x}",
    ),
    "es": Phrases(
        weekly=tuple(
            f"cada {d}"
            for d in ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
        ),
        nth=tuple(
            f"el {{o}} {d} de cada mes"
            for d in ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
        ),
        ordinals=(("primer", "segundo", "tercer", "cuarto", "quinto", "último"),),
        gender=(0,) * 7,
        daily="todos los días",
        every_days="cada {u}",
        every_weeks="cada {u}",
        month_day="el día {n} de cada mes",
        monthly="todos los meses",
        yearly="todos los años",
        recurring="periódico",
        with_time="{r}, {t}, próxima fecha: {x}",
        without_time="{r}, próxima fecha: {x}",
        until="{r} hasta el {x}",
    ),
    "it": Phrases(
        weekly=tuple(
            f"ogni {d}"
            for d in ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
        ),
        nth=tuple(
            f"ogni {{o}} {d} del mese"
            for d in ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
        ),
        ordinals=(
            ("primo", "secondo", "terzo", "quarto", "quinto", "ultimo"),
            ("prima", "seconda", "terza", "quarta", "quinta", "ultima"),
        ),
        gender=(0, 0, 0, 0, 0, 0, 1),
        daily="ogni giorno",
        every_days="ogni {u}",
        every_weeks="ogni {u}",
        month_day="il giorno {n} di ogni mese",
        monthly="ogni mese",
        yearly="ogni anno",
        recurring="ricorrente",
        with_time="{r}, {t}, prossima data: {x}",
        without_time="{r}, prossima data: {x}",
        until="{r} fino al {x}",
    ),
    "pt_PT": Phrases(
        weekly=tuple(
            f"{a} {d}"
            for a, d in (
                ("todas as", "segundas-feiras"),
                ("todas as", "terças-feiras"),
                ("todas as", "quartas-feiras"),
                ("todas as", "quintas-feiras"),
                ("todas as", "sextas-feiras"),
                ("todos os", "sábados"),
                ("todos os", "domingos"),
            )
        ),
        nth=tuple(
            f"{a} {{o}} {d} de cada mês"
            for a, d in (
                ("a", "segunda-feira"),
                ("a", "terça-feira"),
                ("a", "quarta-feira"),
                ("a", "quinta-feira"),
                ("a", "sexta-feira"),
                ("o", "sábado"),
                ("o", "domingo"),
            )
        ),
        ordinals=(
            ("primeira", "segunda", "terceira", "quarta", "quinta", "última"),
            ("primeiro", "segundo", "terceiro", "quarto", "quinto", "último"),
        ),
        gender=(0, 0, 0, 0, 0, 1, 1),
        daily="todos os dias",
        every_days="a cada {u}",
        every_weeks="a cada {u}",
        month_day="no dia {n} de cada mês",
        monthly="todos os meses",
        yearly="todos os anos",
        recurring="recorrente",
        with_time="{r}, {t}, próxima data: {x}",
        without_time="{r}, próxima data: {x}",
        until="{r} até {x}",
    ),
    "pl": Phrases(
        weekly=(
            "w każdy poniedziałek",
            "w każdy wtorek",
            "w każdą środę",
            "w każdy czwartek",
            "w każdy piątek",
            "w każdą sobotę",
            "w każdą niedzielę",
        ),
        nth=(
            "w każdy {o} poniedziałek miesiąca",
            "w każdy {o} wtorek miesiąca",
            "w każdą {o} środę miesiąca",
            "w każdy {o} czwartek miesiąca",
            "w każdy {o} piątek miesiąca",
            "w każdą {o} sobotę miesiąca",
            "w każdą {o} niedzielę miesiąca",
        ),
        ordinals=(
            ("pierwszy", "drugi", "trzeci", "czwarty", "piąty", "ostatni"),
            ("pierwszą", "drugą", "trzecią", "czwartą", "piątą", "ostatnią"),
        ),
        gender=(0, 0, 1, 0, 0, 1, 1),
        daily="codziennie",
        every_days="co {u}",
        every_weeks="co {u}",
        month_day="co miesiąc, {n}. dnia",
        monthly="co miesiąc",
        yearly="co roku",
        recurring="cyklicznie",
        with_time="{r}, {t}, następny termin: {x}",
        without_time="{r}, następny termin: {x}",
        until="{r} do {x}",
    ),
    "hu": Phrases(
        weekly=(
            "minden hétfőn",
            "minden kedden",
            "minden szerdán",
            "minden csütörtökön",
            "minden pénteken",
            "minden szombaton",
            "minden vasárnap",
        ),
        nth=(
            "minden hónap {o} hétfőjén",
            "minden hónap {o} keddjén",
            "minden hónap {o} szerdáján",
            "minden hónap {o} csütörtökén",
            "minden hónap {o} péntekén",
            "minden hónap {o} szombatján",
            "minden hónap {o} vasárnapján",
        ),
        ordinals=(("első", "második", "harmadik", "negyedik", "ötödik", "utolsó"),),
        gender=(0,) * 7,
        daily="minden nap",
        every_days="{n} naponta",
        every_weeks="{n} hetente",
        month_day="minden hónap {n}. napján",
        monthly="havonta",
        yearly="évente",
        recurring="ismétlődő",
        with_time="{r}, {t}, legközelebb: {x}",
        without_time="{r}, legközelebb: {x}",
        until="{r}, utoljára: {x}",
    ),
    "uk": Phrases(
        weekly=(
            "щопонеділка",
            "щовівторка",
            "щосереди",
            "щочетверга",
            "щоп’ятниці",
            "щосуботи",
            "щонеділі",
        ),
        nth=(
            "кожен {o} понеділок місяця",
            "кожен {o} вівторок місяця",
            "кожну {o} середу місяця",
            "кожен {o} четвер місяця",
            "кожну {o} п’ятницю місяця",
            "кожну {o} суботу місяця",
            "кожну {o} неділю місяця",
        ),
        ordinals=(
            ("перший", "другий", "третій", "четвертий", "п’ятий", "останній"),
            ("першу", "другу", "третю", "четверту", "п’яту", "останню"),
        ),
        gender=(0, 0, 1, 0, 1, 1, 1),
        daily="щодня",
        every_days="кожні {u}",
        every_weeks="кожні {u}",
        month_day="щомісяця {n}-го числа",
        monthly="щомісяця",
        yearly="щороку",
        recurring="регулярно",
        with_time="{r}, {t}, наступного разу {x}",
        without_time="{r}, наступного разу {x}",
        until="{r} до {x}",
    ),
    "ar": Phrases(
        weekly=(
            "كل يوم اثنين",
            "كل يوم ثلاثاء",
            "كل يوم أربعاء",
            "كل يوم خميس",
            "كل يوم جمعة",
            "كل يوم سبت",
            "كل يوم أحد",
        ),
        nth=(
            "الاثنين {o} من كل شهر",
            "الثلاثاء {o} من كل شهر",
            "الأربعاء {o} من كل شهر",
            "الخميس {o} من كل شهر",
            "الجمعة {o} من كل شهر",
            "السبت {o} من كل شهر",
            "الأحد {o} من كل شهر",
        ),
        ordinals=(("الأول", "الثاني", "الثالث", "الرابع", "الخامس", "الأخير"),),
        gender=(0,) * 7,
        daily="يوميًا",
        every_days="كل {n} أيام",
        every_weeks="كل {n} أسابيع",
        month_day="في اليوم {n} من كل شهر",
        monthly="شهريًا",
        yearly="سنويًا",
        recurring="متكرر",
        with_time="{r}، {t}، الموعد القادم {x}",
        without_time="{r}، الموعد القادم {x}",
        until="{r} حتى {x}",
    ),
}
# Arabic counts two with a dual form of its own ("every two weeks").
_AR_TWO = {"every_days": "كل يومين", "every_weeks": "كل أسبوعين"}


def has_phrases(lang: str) -> bool:
    """True when ``lang`` has its own rule phrases (else English ones are used)."""
    return _key(lang) in _PHRASES


def _key(lang: str) -> str:
    code = lang.replace("-", "_")
    return code if code in _PHRASES else code.split("_")[0]


def _phrases(lang: str) -> Phrases:
    return _PHRASES.get(_key(lang), _EN)


def _ordinal(p: Phrases, day: int, position: int) -> str | None:
    forms = p.ordinals[p.gender[day]]
    if position == -1:
        return forms[5]
    if 1 <= position <= 5:
        return forms[position - 1]
    return None


def _counted(p: Phrases, lang: str, which: str, n: int) -> str:
    if _key(lang) == "ar" and n == 2:
        return _AR_TWO[which]
    unit = "duration-day" if which == "every_days" else "duration-week"
    counted = format_unit(n, unit, locale=babel_locale(lang), length="long")
    return str(getattr(p, which)).format(u=counted, n=n)


def _byday(values: list[object]) -> list[tuple[int, int]] | None:
    """BYDAY entries as (position, weekday index): ``2WE`` → (2, 2); ``WE`` → (0, 2)."""
    out = []
    for value in values:
        text = str(value).strip().upper()
        day, number = text[-2:], text[:-2]
        if day not in DAYS:
            return None
        try:
            position = int(number) if number else 0
        except ValueError:
            return None
        out.append((position, DAYS.index(day)))
    return out


def _first_int(rule: vRecur, name: str) -> int | None:
    values = rule.get(name) or []
    try:
        return int(values[0]) if values else None
    except (TypeError, ValueError):
        return None


def rule_words(rule_text: str, lang: str) -> str:
    """The rule alone in words: ``FREQ=MONTHLY;BYDAY=2WE`` → "every second Wednesday of the
    month"; a rule outside the common shapes is "recurring".

    >>> rule_words("FREQ=WEEKLY;BYDAY=MO", "pl")
    'w każdy poniedziałek'
    """
    p = _phrases(lang)
    try:
        rule = vRecur.from_ical(rule_text)
    except Exception:
        return p.recurring
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    interval = _first_int(rule, "INTERVAL") or 1
    days = _byday(list(rule.get("BYDAY") or []))
    setpos = _first_int(rule, "BYSETPOS")
    known = {"FREQ", "INTERVAL", "BYDAY", "BYSETPOS", "BYMONTHDAY", "UNTIL", "COUNT", "WKST"}
    if days is None or set(rule) - known or interval < 1:
        return p.recurring
    locale = babel_locale(lang)
    if freq == "DAILY" and not days and setpos is None:
        return p.daily if interval == 1 else _counted(p, lang, "every_days", interval)
    if freq == "WEEKLY" and setpos is None and all(pos == 0 for pos, _ in days):
        if interval == 1 and days:
            return format_list([p.weekly[d] for _, d in days], locale=locale)
        if interval == 1:
            return p.recurring
        every = _counted(p, lang, "every_weeks", interval)
        if not days:
            return every
        names = [locale.days["stand-alone"]["wide"][d] for _, d in days]
        comma = "، " if _key(lang) == "ar" else ", "
        return f"{every}{comma}{format_list(names, locale=locale)}"
    if freq == "MONTHLY" and interval == 1:
        monthday = _first_int(rule, "BYMONTHDAY")
        if monthday is not None and not days and 1 <= monthday <= 31:
            return p.month_day.format(n=monthday)
        if days and monthday is None:
            if setpos is not None:
                if len(days) != 1 or days[0][0] != 0:
                    return p.recurring
                days = [(setpos, days[0][1])]
            phrases = []
            for position, day in days:
                ordinal = _ordinal(p, day, position)
                if ordinal is None:
                    return p.recurring
                phrases.append(p.nth[day].format(o=ordinal))
            return format_list(phrases, locale=locale)
        if not days and monthday is None and setpos is None:
            return p.monthly
    if freq == "YEARLY" and interval == 1 and not days and setpos is None:
        return p.yearly
    return p.recurring


def series_words(
    rule_text: str,
    next_start: datetime,
    time_zone: str | None,
    lang: str,
    *,
    all_day: bool = False,
    excluded: Collection[date | datetime] = (),
) -> str:
    """The series in one line: its rule, its time in its zone (not for all-day events), the
    next date, and its end when the rule has an UNTIL (the day of its last occurrence, without
    the ``excluded`` dates, EXDATE, when the caller knows them).

    >>> from datetime import UTC
    >>> series_words("FREQ=MONTHLY;BYDAY=2WE", datetime(2026, 12, 9, 15, tzinfo=UTC),
    ...              "Europe/Brussels", "en")
    'every second Wednesday of the month, 16:00 CET, next on Wed, 9 Dec 2026'
    """
    p = _phrases(lang)
    locale = babel_locale(lang)
    words = rule_words(rule_text, lang)
    until = last_occurrence_day(
        rule_text, next_start, time_zone, all_day=all_day, excluded=excluded
    )
    if until is not None:
        words = p.until.format(r=words, x=format_skeleton("yMMMd", until, locale=locale))
    if all_day:
        day = next_start.date()
        return p.without_time.format(r=words, x=format_skeleton("yMMMEd", day, locale=locale))
    local = aware(next_start).astimezone(zone(time_zone))
    when = f"{format_skeleton('Hm', local, locale=locale)} {zone_name(local, lang)}"
    next_day = format_skeleton("yMMMEd", local, locale=locale)
    return p.with_time.format(r=words, t=when, x=next_day)

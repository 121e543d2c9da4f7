"""Dates and times the Slovenian way: parse what a clerk types, show local time, store UTC.

Everything stored is an aware UTC datetime; everything shown is local (Europe/Ljubljana unless a
deployment sets another zone). Parsing is DST-correct:

* A local time that does not exist (the spring gap, e.g. 29. 3. 2026 ob 2.30) is rejected.
* A local time that occurs twice (the autumn overlap, e.g. 25. 10. 2026 ob 2.30) means the
  FIRST occurrence (still summer time), unless the text names the zone abbreviation, e.g.
  "25. 10. 2026 ob 2.30 CET" for the second one. ``format_local`` adds that abbreviation exactly
  for such times, so what it shows always parses back to the same instant.

Errors carry an English message id and parameters, translated where they are shown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime

from bot.i18n import N_, Translator

LJUBLJANA = ZoneInfo("Europe/Ljubljana")

# Shown in error messages: the form a correspondence session's deadline is written in.
EXAMPLE_DATETIME = "18. 11. 2026 ob 12.00"

_MONTHS_BY_PREFIX = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "maj": 5,
    "jun": 6,
    "jul": 7,
    "avg": 8,
    "sep": 9,
    "okt": 10,
    "nov": 11,
    "dec": 12,
}

_SLOVENIAN_DATETIME = re.compile(
    r"""
    ^\s*
    (?P<day>\d{1,2})\s*\.\s*
    (?:(?P<month>\d{1,2})\s*\.|(?P<month_name>[a-zčšž]{3,})\.?)
    (?:\s*(?P<year>\d{4})\s*\.?)?
    (?:
        (?:\s*,\s*|\s+)(?:ob\s+)?
        (?P<hour>\d{1,2})
        (?:
            \s*[:.]\s*(?P<minute>\d{2})(?:\s*(?:h|uri|ure|ura)\.?)?
            |\s*\.?\s*(?:h|uri|ure|ura)\.?
        )
        (?:\s*\(?(?P<zone>[a-z]{2,5})\)?)?
    )?
    \s*$
    """,
    re.VERBOSE | re.IGNORECASE,
)

_ISO_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_ISO_LIKE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]")

_DURATION = re.compile(
    r"^\s*(?:(?P<days>\d+)\s*d)?\s*(?:(?P<hours>\d+)\s*h)?\s*(?:(?P<minutes>\d+)\s*m(?:in)?)?\s*$",
    re.IGNORECASE,
)

_FORMATS = {"sl": "d. M. y 'ob' H.mm", "en": "d MMM y HH:mm"}

# Reminders and terms are days or weeks; a longer duration is a typing mistake, and a bound
# keeps "deadline - duration" inside the calendar.
MAX_DURATION = timedelta(days=3650)
MAX_QUOTED_INPUT = 80  # characters of a person's text repeated in an error message


# Zero-width characters and direction marks that phones and copying from documents slip in.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def _visible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_QUOTED_INPUT else text[: MAX_QUOTED_INPUT - 1] + "…"


class TimeInputError(ValueError):
    """A date, time or duration a person typed that cannot be used.

    ``message`` is an English message id with {named} placeholders; ``translate`` renders it.
    """

    def __init__(self, message: str, params: Mapping[str, object]) -> None:
        self.message = message
        # The text is quoted back to the person: a pasted page must not come back whole.
        self.params = {
            name: _shortened(value) if name == "text" and isinstance(value, str) else value
            for name, value in params.items()
        }
        super().__init__(message.format(**self.params))

    def translate(self, translator: Translator) -> str:
        return translator(self.message, **self.params)


class DateParseError(TimeInputError):
    """A date and time that cannot be parsed or does not exist locally."""


class DurationParseError(TimeInputError):
    """A duration such as "24h" that cannot be parsed."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def ensure_aware(value: datetime, assume: tzinfo = UTC) -> datetime:
    """Return ``value`` unchanged when aware; otherwise read it as wall time in ``assume``.

    Naive local times in an overlap get the first occurrence (fold=0), as in parsing.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    return value.replace(tzinfo=assume, fold=0)


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; a naive one is refused, since its zone is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("to_utc needs an aware datetime; use ensure_aware with its zone first")
    return value.astimezone(UTC)


@functools.cache
def _babel_locale(language: str) -> Locale:
    """Parsed once: Babel looks the locale's data files up on disk at every parse."""
    return Locale.parse(language)


def format_local(value: datetime, language: str, zone: ZoneInfo = LJUBLJANA) -> str:
    """Show an aware instant in local time: "18. 11. 2026 ob 12.00" (sl), "18 Nov 2026 12:00" (en).

    A wall time that occurs twice that day gets the zone abbreviation ("... ob 2.30 CET").
    """
    # The text shows minutes only, and each vote's confirmation shows one: formatted once a minute.
    minute = to_utc(value).replace(second=0, microsecond=0)
    return _format_minute(minute, language if language in _FORMATS else "sl", zone)


@functools.lru_cache(maxsize=4096)
def _format_minute(minute: datetime, language: str, zone: ZoneInfo) -> str:
    local = minute.astimezone(zone)
    text = format_datetime(local, _FORMATS[language], tzinfo=zone, locale=_babel_locale(language))
    if _is_ambiguous(local.replace(tzinfo=None), zone):
        text = f"{text} {local.tzname()}"
    return text


def parse_local_datetime(
    text: str, now: datetime | None = None, zone: ZoneInfo = LJUBLJANA
) -> datetime:
    """Parse a date and hour as people write them in Slovenia; return an aware UTC datetime.

    Accepted: "18. 11. 2026 12:00", "18.11.2026 12:00", "18. 11. 2026 ob 12.00",
    "18. 11. 2026, 12:00", "18. novembra 2026 ob 12. uri", and ISO 8601 ("2026-11-18T12:00",
    with or without an offset; without one it is local time). "24.00" is the end of that day.
    Without a year the occurrence closest to ``now`` is taken, so "5. 1. ob 9.00" typed in
    December means next January. A date without an hour is refused: a correspondence session
    ends at an exact date and hour (art. 21).
    """
    try:
        return _parse_local(text, now, zone)
    except OverflowError:  # year 1 or 9999 moved across the offset or past midnight
        raise DateParseError(
            N_('"{text}": the year is out of range. Write it like {example}.'),
            {"text": text.strip(), "example": EXAMPLE_DATETIME},
        ) from None


def _parse_local(text: str, now: datetime | None, zone: ZoneInfo) -> datetime:
    stripped = _visible(text).strip()
    if not stripped:
        raise DateParseError(
            N_("Write a date and hour, for example {example}."), {"example": EXAMPLE_DATETIME}
        )
    if _ISO_DATE_ONLY.match(stripped):
        raise _missing_hour(stripped)
    if _ISO_LIKE.match(stripped):
        return _parse_iso(stripped, zone)
    match = _SLOVENIAN_DATETIME.match(stripped)
    if match is None:
        raise DateParseError(
            N_('"{text}" is not a date and hour I understand. Write it like {example}.'),
            {"text": stripped, "example": EXAMPLE_DATETIME},
        )
    if match["hour"] is None:
        raise _missing_hour(stripped)
    day = int(match["day"])
    month = _month_number(match, stripped)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    clock, day_shift = _clock(hour, minute, stripped)
    if match["year"] is not None:
        local_date = _date(int(match["year"]), month, day, stripped)
    else:
        local_date = _closest_date(month, day, clock, now or utc_now(), zone, stripped)
    wall = datetime.combine(local_date, clock) + day_shift
    return _localise(wall, zone, stripped, match["zone"])


def parse_duration(text: str) -> timedelta:
    """Parse "24h", "90m", "2d", "1d12h" (also "90 min") into a positive timedelta."""
    match = _DURATION.match(_visible(text)) if isinstance(text, str) else None
    if match is None or not any(match.groupdict().values()):
        raise DurationParseError(
            N_(
                '"{text}" is not a duration. Write a number with a unit: m (minutes), '
                'h (hours) or d (days), for example "24h", "90m" or "2d".'
            ),
            {"text": text},
        )
    try:
        parts = {unit: int(amount or 0) for unit, amount in match.groupdict().items()}
        duration = timedelta(**parts)
    except (OverflowError, ValueError):  # more digits than a number or a timedelta holds
        duration = MAX_DURATION + timedelta(days=1)
    if duration > MAX_DURATION:
        raise DurationParseError(
            N_('"{text}" is too long; a duration may be at most {days} days.'),
            {"text": text, "days": MAX_DURATION.days},
        )
    if duration <= timedelta(0):
        raise DurationParseError(
            N_('"{text}" is zero; a duration must be longer than that.'), {"text": text}
        )
    return duration


def format_duration(duration: timedelta) -> str:
    """Show a duration the way the configuration writes it: "90m", "24h", "36h", "2d".

    Whole hours stay in hours up to two days, as reminders are usually thought of ("24h"); the
    result always parses back with ``parse_duration``.
    """
    minutes = int(duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{hours}h{rest}m" if hours else f"{rest}m"
    if hours % 24 == 0 and hours > 48:
        return f"{hours // 24}d"
    return f"{hours}h"


def _missing_hour(text: str) -> DateParseError:
    return DateParseError(
        N_(
            '"{text}" has no hour. A correspondence session ends at an exact date and hour, '
            "so write it like {example}."
        ),
        {"text": text, "example": EXAMPLE_DATETIME},
    )


def _month_number(match: re.Match[str], text: str) -> int:
    if match["month"] is not None:
        return int(match["month"])
    name = match["month_name"].lower()
    month = _MONTHS_BY_PREFIX.get(name[:3])
    if month is None:
        raise DateParseError(
            N_('"{text}": "{month}" is not a month. Write it like {example}.'),
            {"text": text, "month": match["month_name"], "example": EXAMPLE_DATETIME},
        )
    return month


def _clock(hour: int, minute: int, text: str) -> tuple[time, timedelta]:
    """The wall-clock time and a day shift: 24.00 is midnight at the end of the day."""
    if hour == 24 and minute == 0:
        return time(0, 0), timedelta(days=1)
    if hour > 23 or minute > 59:
        raise DateParseError(
            N_('"{text}": the hour must be between 0.00 and 24.00. Write it like {example}.'),
            {"text": text, "example": EXAMPLE_DATETIME},
        )
    return time(hour, minute), timedelta(0)


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(
            N_('"{text}": there is no such date. Write it like {example}.'),
            {"text": text, "example": EXAMPLE_DATETIME},
        ) from None


def _closest_date(
    month: int, day: int, clock: time, now: datetime, zone: ZoneInfo, text: str
) -> date:
    local_now = to_utc(now).astimezone(zone).replace(tzinfo=None)
    candidates = []
    for year in (local_now.year - 1, local_now.year, local_now.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue  # 29. 2. exists only in leap years
    if not candidates:
        raise DateParseError(
            N_('"{text}": there is no such date. Write it like {example}.'),
            {"text": text, "example": EXAMPLE_DATETIME},
        )
    return min(candidates, key=lambda d: abs(datetime.combine(d, clock) - local_now))


def _localise(wall: datetime, zone: ZoneInfo, text: str, abbreviation: str | None) -> datetime:
    """Attach the zone to a wall time, refusing the spring gap and resolving the autumn overlap."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if _round_trip(first, zone) != wall:
        before, after = _gap_bounds(second.astimezone(UTC), first.astimezone(UTC), zone)
        raise DateParseError(
            N_(
                '"{text}": {time} does not exist on that day, because the clocks move forward '
                "at {before} to {after} (summer time starts). Choose a time before {before} "
                "or from {after} on."
            ),
            {"text": text, "time": _clock_text(wall), "before": before, "after": after},
        )
    chosen = first
    if abbreviation is not None:
        names = {first.tzname(): first, second.tzname(): second}
        matching = {name.upper(): value for name, value in names.items() if name}
        if abbreviation.upper() not in matching:
            raise DateParseError(
                N_(
                    '"{text}": "{zone}" is not the time zone here ({expected}). '
                    "Leave it out or write {expected}."
                ),
                {"text": text, "zone": abbreviation, "expected": " / ".join(sorted(matching))},
            )
        chosen = matching[abbreviation.upper()]
    return chosen.astimezone(UTC)


def _gap_bounds(low: datetime, high: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """The local wall times at which a spring gap starts and ends.

    ``low`` and ``high`` are UTC instants on either side of the transition; bisect to the minute.
    """
    old_offset = low.astimezone(zone).utcoffset() or timedelta(0)
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    transition = high.replace(second=0, microsecond=0)
    if transition.astimezone(zone).utcoffset() == old_offset:
        transition += timedelta(minutes=1)
    before = (transition + old_offset).replace(tzinfo=None)
    return _clock_text(before), _clock_text(transition.astimezone(zone))


def _clock_text(value: datetime) -> str:
    return f"{value.hour}.{value.minute:02d}"


def _round_trip(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def _is_ambiguous(wall: datetime, zone: ZoneInfo) -> bool:
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and _round_trip(second, zone) == wall


def _parse_iso(text: str, zone: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DateParseError(
            N_('"{text}" is not a date and hour I understand. Write it like {example}.'),
            {"text": text, "example": EXAMPLE_DATETIME},
        ) from None
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return _localise(value, zone, text, None)

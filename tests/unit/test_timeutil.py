"""Slovenian dates and times: parsing, DST, local display and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.timeutil import (
    LJUBLJANA,
    DateParseError,
    DurationParseError,
    ensure_aware,
    format_duration,
    format_local,
    parse_duration,
    parse_local_datetime,
    to_utc,
    utc_now,
)

NOON_18_NOV_2026 = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)  # 12.00 in Ljubljana (CET, +1)


@pytest.mark.parametrize(
    "text",
    [
        "18. 11. 2026 12:00",
        "18.11.2026 12:00",
        "18. 11. 2026 ob 12.00",
        "18. 11. 2026, 12:00",
        "18. 11. 2026, ob 12.00",
        "  18.11.2026   12.00  ",
        "18. 11. 2026. ob 12.00",
        "18. 11. 2026 ob 12. uri",
        "18. 11. 2026 ob 12h",
        "18. 11. 2026 ob 12.00 uri",
        "18. novembra 2026 ob 12.00",
        "18. nov. 2026 12:00",
        "2026-11-18T12:00",
        "2026-11-18 12:00",
        "2026-11-18T11:00:00Z",
        "2026-11-18T12:00+01:00",
    ],
)
def test_accepted_forms(text: str) -> None:
    assert parse_local_datetime(text) == NOON_18_NOV_2026


def test_result_is_aware_utc() -> None:
    parsed = parse_local_datetime("1. 7. 2026 ob 9.30")
    assert parsed.tzinfo is UTC
    assert parsed == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # summer time, +2


def test_24_00_is_the_end_of_the_day() -> None:
    assert parse_local_datetime("18. 11. 2026 ob 24.00") == datetime(
        2026, 11, 18, 23, 0, tzinfo=UTC
    )


def test_without_a_year_the_closest_occurrence_is_taken() -> None:
    december = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    assert parse_local_datetime("5. 1. ob 9.00", now=december) == datetime(
        2027, 1, 5, 8, 0, tzinfo=UTC
    )
    assert parse_local_datetime("18. 12. ob 9.00", now=december) == datetime(
        2026, 12, 18, 8, 0, tzinfo=UTC
    )
    leap_day = parse_local_datetime("29. 2. ob 12.00", now=datetime(2027, 11, 1, tzinfo=UTC))
    assert leap_day == datetime(2028, 2, 29, 11, 0, tzinfo=UTC)


# --- DST ----------------------------------------------------------------------------------------


def test_spring_gap_is_rejected_with_the_hours_to_choose_from() -> None:
    with pytest.raises(DateParseError) as caught:
        parse_local_datetime("29. 3. 2026 ob 2.30")
    assert str(caught.value) == (
        '"29. 3. 2026 ob 2.30": 2.30 does not exist on that day, because the clocks move forward '
        "at 2.00 to 3.00 (summer time starts). Choose a time before 2.00 or from 3.00 on."
    )
    assert caught.value.translate(Translator("sl")) == (
        '"29. 3. 2026 ob 2.30": ura 2.30 ta dan ne obstaja, ker se ob 2.00 ura premakne naprej '
        "na 3.00 (začne se poletni čas). Izberite čas pred 2.00 ali od 3.00 naprej."
    )
    with pytest.raises(DateParseError, match="does not exist"):
        parse_local_datetime("2026-03-29T02:00")


def test_times_around_the_gap_are_fine() -> None:
    assert parse_local_datetime("29. 3. 2026 ob 1.59") == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert parse_local_datetime("29. 3. 2026 ob 3.00") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_autumn_overlap_means_the_first_occurrence_unless_the_zone_is_named() -> None:
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 2.30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 2.30 CET, an hour later
    assert parse_local_datetime("25. 10. 2026 ob 2.30") == first
    assert parse_local_datetime("25. 10. 2026 ob 2.30 CEST") == first
    assert parse_local_datetime("25. 10. 2026 ob 2.30 CET") == second
    assert parse_local_datetime("2026-10-25T02:30") == first
    assert format_local(first, "sl") == "25. 10. 2026 ob 2.30 CEST"
    assert format_local(second, "sl") == "25. 10. 2026 ob 2.30 CET"
    assert format_local(second, "en") == "25 Oct 2026 02:30 CET"


def test_a_foreign_zone_abbreviation_is_rejected() -> None:
    with pytest.raises(DateParseError) as caught:
        parse_local_datetime("25. 10. 2026 ob 2.30 PST")
    assert str(caught.value) == (
        '"25. 10. 2026 ob 2.30 PST": "PST" is not the time zone here (CEST / CET). '
        "Leave it out or write CEST / CET."
    )


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "english", "slovenian"),
    [
        (
            "18.11.2026",
            (
                '"18.11.2026" has no hour. A correspondence session ends at an exact date and hour, '
                "so write it like 18. 11. 2026 ob 12.00."
            ),
            (
                '"18.11.2026" nima ure. Dopisna seja se konča ob natančno določenem datumu in uri, '
                "zato ju zapišite v obliki 18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "2026-11-18",
            (
                '"2026-11-18" has no hour. A correspondence session ends at an exact date and hour, '
                "so write it like 18. 11. 2026 ob 12.00."
            ),
            (
                '"2026-11-18" nima ure. Dopisna seja se konča ob natančno določenem datumu in uri, '
                "zato ju zapišite v obliki 18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "jutri zjutraj",
            (
                '"jutri zjutraj" is not a date and hour I understand. Write it like '
                "18. 11. 2026 ob 12.00."
            ),
            (
                '"jutri zjutraj" ni prepoznan kot datum in ura. Zapišite ju v obliki '
                "18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "31. 4. 2026 ob 12.00",
            '"31. 4. 2026 ob 12.00": there is no such date. Write it like 18. 11. 2026 ob 12.00.',
            (
                '"31. 4. 2026 ob 12.00": tak datum ne obstaja. Zapišite ga v obliki '
                "18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "18. 11. 2026 ob 12.60",
            (
                '"18. 11. 2026 ob 12.60": the hour must be between 0.00 and 24.00. Write it like '
                "18. 11. 2026 ob 12.00."
            ),
            (
                '"18. 11. 2026 ob 12.60": ura mora biti med 0.00 in 24.00. Zapišite jo v obliki '
                "18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "18. brumaire 2026 ob 12.00",
            (
                '"18. brumaire 2026 ob 12.00": "brumaire" is not a month. Write it like '
                "18. 11. 2026 ob 12.00."
            ),
            (
                '"18. brumaire 2026 ob 12.00": "brumaire" ni mesec. Zapišite datum v obliki '
                "18. 11. 2026 ob 12.00."
            ),
        ),
        (
            "   ",
            "Write a date and hour, for example 18. 11. 2026 ob 12.00.",
            "Vpišite datum in uro, na primer 18. 11. 2026 ob 12.00.",
        ),
    ],
)
def test_bad_input_is_explained(text: str, english: str, slovenian: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_local_datetime(text)
    assert str(caught.value) == english
    assert caught.value.translate(Translator("en")) == english
    assert caught.value.translate(Translator("sl")) == slovenian


@pytest.mark.parametrize(
    "text",
    ["18. 11. 2026 ob 25.00", "18. 11. 2026 ob 24.30", "2026-13-01T12:00", "18. 11. 26 12:00"],
)
def test_more_bad_input(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_local_datetime(text)


# --- display ------------------------------------------------------------------------------------


def test_format_local_in_both_languages() -> None:
    assert format_local(NOON_18_NOV_2026, "sl") == "18. 11. 2026 ob 12.00"
    assert format_local(NOON_18_NOV_2026, "en") == "18 Nov 2026 12:00"
    morning = datetime(2026, 7, 1, 7, 5, tzinfo=UTC)
    assert format_local(morning, "sl") == "1. 7. 2026 ob 9.05"
    assert format_local(morning, "en") == "1 Jul 2026 09:05"


def test_format_local_converts_from_any_offset_and_other_zones() -> None:
    plus_five = datetime(2026, 11, 18, 16, 0, tzinfo=timezone(timedelta(hours=5)))
    assert format_local(plus_five, "sl") == "18. 11. 2026 ob 12.00"
    assert (
        format_local(NOON_18_NOV_2026, "sl", ZoneInfo("America/New_York")) == "18. 11. 2026 ob 6.00"
    )


def test_format_local_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        format_local(datetime(2026, 11, 18, 12, 0), "sl")


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 12, 31, 23, 59),
        timezones=st.just(UTC),
    )
)
def test_slovenian_display_parses_back_to_the_same_minute(moment: datetime) -> None:
    shown = format_local(moment, "sl")
    assert parse_local_datetime(shown) == moment.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    "transition",
    [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)],
)
def test_every_minute_around_a_clock_change_parses_back(transition: datetime) -> None:
    # Random examples rarely land in the overlap hour, so walk both transitions minute by minute.
    for minutes in range(-120, 121):
        moment = transition + timedelta(minutes=minutes)
        assert parse_local_datetime(format_local(moment, "sl")) == moment


# --- durations and helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(hours=36)),
        (" 2 H ", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "3x", "1 teden", "-2h", "0h", "0d0h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(DurationParseError):
        parse_duration(text)


def test_duration_error_is_translated() -> None:
    with pytest.raises(DurationParseError) as caught:
        parse_duration("3x")
    assert caught.value.translate(Translator("sl")) == (
        '"3x" ni trajanje. Zapišite število z enoto: m (minute), h (ure) ali d (dnevi), '
        'na primer "24h", "90m" ali "2d".'
    )


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(hours=24), "24h"),
        (timedelta(hours=48), "48h"),
        (timedelta(days=3), "3d"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(minutes=5), "5m"),
    ],
)
def test_format_duration(duration: timedelta, shown: str) -> None:
    assert format_duration(duration) == shown


@given(st.integers(min_value=1, max_value=60 * 24 * 400))
def test_format_duration_round_trips(minutes: int) -> None:
    duration = timedelta(minutes=minutes)
    assert parse_duration(format_duration(duration)) == duration


def test_utc_helpers() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    naive = datetime(2026, 11, 18, 12, 0)
    assert ensure_aware(naive) == datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert ensure_aware(naive, LJUBLJANA) == NOON_18_NOV_2026
    assert ensure_aware(NOON_18_NOV_2026) is NOON_18_NOV_2026
    local = NOON_18_NOV_2026.astimezone(LJUBLJANA)
    assert to_utc(local) == NOON_18_NOV_2026 and to_utc(local).tzinfo is UTC
    with pytest.raises(ValueError):
        to_utc(naive)

"""The calendar file sent with an invitation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bot.domain.models import Session, SessionKind, SessionMode
from bot.i18n import Translator
from bot.live.calendar import session_calendar

START = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)


def session(**changes: object) -> Session:
    values: dict[str, object] = {
        "id": 7,
        "body_id": 1,
        "kind": SessionKind.REGULAR,
        "title": "12. redna seja",
        "mode": SessionMode.HYBRID,
        "starts_at": START,
        "location": "Sejna soba Občine Gornji Grad",
        "video_link": "https://zoom.us/j/81234567890",
    }
    values.update(changes)
    return Session(**values)  # type: ignore[arg-type]


def event(data: bytes):  # type: ignore[no-untyped-def]
    return next(iter(Calendar.from_ical(data).walk("VEVENT")))


def test_the_entry_has_the_time_place_link_and_agenda() -> None:
    data = session_calendar(
        session(),
        "Občinski svet Občine Gornji Grad",
        ["Zapisnik", "Poslovnik"],
        START,
        Translator("sl"),
    )
    entry = event(data)
    assert entry.decoded("dtstart") == START
    assert entry.decoded("dtend") == START + timedelta(hours=3)  # no end given
    assert str(entry["uid"]) == "seja-7@sejabot"
    assert "12. redna seja — Občinski svet Občine Gornji Grad" == str(entry["summary"])
    assert "Sejna soba" in str(entry["location"]) and "zoom.us" in str(entry["location"])
    description = str(entry["description"])
    assert (
        "Dnevni red:" in description
        and "1. Zapisnik" in description
        and "2. Poslovnik" in description
    )
    assert b"DTSTART:20261210T160000Z" in data


def test_a_changed_session_keeps_its_uid_so_calendars_update_it() -> None:
    first = event(session_calendar(session(), "", [], START, Translator("sl")))
    again = event(
        session_calendar(
            session(title="12. redna seja (nov čas)"),
            "",
            [],
            START,
            Translator("sl"),
            ends_at=START + timedelta(hours=1),
            sequence=1,
        )
    )
    assert first["uid"] == again["uid"] and int(again["sequence"]) == 1
    assert again.decoded("dtend") == START + timedelta(hours=1)

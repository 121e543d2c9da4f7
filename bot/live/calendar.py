"""The calendar file (.ics) sent with an invitation, so the session lands in a member's calendar.

One VEVENT per session with a stable UID: a changed session sent again replaces the entry
(SEQUENCE grows) instead of adding a second one. Times are UTC, which every calendar converts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event

from bot.domain.models import Session
from bot.i18n import Translator
from bot.live.convening import DEFAULT_LENGTH
from bot.live.wording.common import session_name

PRODUCT_ID = "-//Sejabot//Seje na daljavo//SL"
CALENDAR_FILENAME = "seja.ics"
CALENDAR_MEDIA_TYPE = "text/calendar"


def session_uid(session: Session, domain: str = "sejabot") -> str:
    return f"seja-{session.id}@{domain}"


def session_calendar(
    session: Session,
    body_name: str,
    agenda_titles: Sequence[str],
    stamped_at: datetime,
    _: Translator,
    *,
    ends_at: datetime | None = None,
    sequence: int = 0,
) -> bytes:
    """The session as an iCalendar file: when, where (hall and/or video link), the agenda."""
    if session.starts_at is None:
        raise ValueError("a session without a start cannot go into a calendar")
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", stamped_at)
    event.add("sequence", sequence)
    event.add("dtstart", session.starts_at)
    event.add("dtend", ends_at or session.starts_at + DEFAULT_LENGTH)
    event.add("summary", session_name(session, body_name, _))
    places = [place for place in (session.location, session.video_link) if place]
    if places:
        event.add("location", " / ".join(places))
    if session.video_link:
        event.add("url", session.video_link)
    lines = [_("Agenda:")]
    lines.extend(f"{number}. {title}" for number, title in enumerate(agenda_titles, start=1))
    if session.video_link:
        lines.append("")
        lines.append(_("Video call: {link}", link=session.video_link))
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()

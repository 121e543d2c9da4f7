"""Rendering the minutes of a live session and sending them to the chair and the clerk.

Rendering DOCX and PDF is CPU work, so it runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from bot.audit.trail import closing_head, minutes_head_state, record_minutes_head
from bot.domain.rules import RuleSet
from bot.i18n import Translator
from bot.live.agenda import persons_by_id, staff_ids
from bot.live.minutes import build_minutes, votes_table
from bot.live.record import session_record
from bot.reports import render
from bot.reports.tables import CSV_MEDIA_TYPE, to_csv
from bot.transport.events import OutgoingFile, OutgoingMessage
from storage.database import Database
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.app import App

MINUTES_FORMATS = ("docx", "pdf", "md", "csv")


def minutes_filename(session_id: int, extension: str) -> str:
    return f"zapisnik-seja-{session_id}.{extension}"


async def render_minutes(
    repos: Repositories, rule_set: RuleSet, session_id: int, fmt: str, _: Translator, now: datetime
) -> tuple[bytes, str, str] | None:
    """The minutes as (content, media type, extension); None if there is no such live session."""
    record = await session_record(repos, rule_set, session_id, now)
    if record is None:
        return None
    if fmt == "csv":
        headers, rows = votes_table(record, _)
        return await asyncio.to_thread(to_csv, headers, rows), CSV_MEDIA_TYPE, "csv"
    # A closed session's minutes cite the head they were first made with; a running one's
    # interim minutes the newest head.
    fallback = await closing_head(repos, session_id) or record.audit_head
    state = await minutes_head_state(repos, session_id, fallback)
    document = build_minutes(record, _, state)
    return await asyncio.to_thread(render, document, fmt)


async def keep_minutes_head(db: Database, session_id: int, now: datetime) -> None:
    """Records, at the first minutes of a closed session, the head they cite, so that every
    later regeneration shows the same head and whether the trail still has it."""
    head = await closing_head(db, session_id)
    if head is not None:
        await record_minutes_head(db, session_id, head, now)


async def send_minutes(app: App, session_id: int) -> None:
    """DOCX (to edit) and PDF (to read) of the minutes to every chair and clerk of the session."""
    repos = app.db.read
    session = await repos.sessions.get(session_id)
    body = await repos.bodies.get(session.body_id) if session else None
    if session is None or body is None:
        return
    rule_set = app.rule_set(body.rule_set)
    await keep_minutes_head(app.db, session_id, app.now())
    chairs, clerks = await staff_ids(repos, session_id)
    rendered_in: dict[str, tuple[OutgoingFile, ...]] = {}  # rendered once per language
    for person_id, person in (await persons_by_id(repos, set(chairs + clerks))).items():
        _ = Translator(person.language)
        if _.language not in rendered_in:
            files = []
            for fmt in ("docx", "pdf"):
                rendered = await render_minutes(repos, rule_set, session_id, fmt, _, app.now())
                if rendered is not None:
                    content, media_type, extension = rendered
                    files.append(
                        OutgoingFile(minutes_filename(session_id, extension), media_type, content)
                    )
            rendered_in[_.language] = tuple(files)
        await app.messenger.send_to_person(
            person_id,
            OutgoingMessage(
                html=_("The draft minutes of the session, to edit (DOCX) and to read (PDF)."),
                files=rendered_in[_.language],
            ),
        )

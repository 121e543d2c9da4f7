"""Sessions of a body: regular, extraordinary, correspondence, ceremonial."""

from __future__ import annotations

import sqlite3

from bot.domain.models import Session, SessionKind, SessionMode, SessionStatus
from storage.columns import now_utc, optional_parse_utc, optional_utc_text, parse_utc, utc_text
from storage.errors import NotFound
from storage.repositories.base import Repository

COLUMNS = (
    "id, body_id, kind, title, mode, number, starts_at, deadline, location, video_link, "
    "status, created_at"
)


def session_from_row(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        body_id=row["body_id"],
        kind=SessionKind(row["kind"]),
        title=row["title"],
        mode=SessionMode(row["mode"]),
        number=row["number"],
        starts_at=optional_parse_utc(row["starts_at"]),
        deadline=optional_parse_utc(row["deadline"]),
        location=row["location"],
        video_link=row["video_link"],
        status=SessionStatus(row["status"]),
        created_at=parse_utc(row["created_at"]),
    )


class SessionRepository(Repository):
    __slots__ = ()

    async def add(self, session: Session) -> Session:
        """Stores a new session; ``created_at`` defaults to now."""
        row = await self._one(
            "INSERT INTO sessions (body_id, kind, title, mode, number, starts_at, deadline, "
            "location, video_link, status, created_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (
                session.body_id,
                session.kind.value,
                session.title,
                session.mode.value,
                session.number,
                optional_utc_text(session.starts_at),
                optional_utc_text(session.deadline),
                session.location,
                session.video_link,
                session.status.value,
                utc_text(session.created_at or now_utc()),
            ),
        )
        assert row is not None
        return session_from_row(row)

    async def get(self, session_id: int) -> Session | None:
        row = await self._one(f"SELECT {COLUMNS} FROM sessions WHERE id = ?", (session_id,))
        return None if row is None else session_from_row(row)

    async def list_for_body(self, body_id: int) -> list[Session]:
        """Newest first."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM sessions WHERE body_id = ? ORDER BY created_at DESC, id DESC",
            (body_id,),
        )
        return [session_from_row(row) for row in rows]

    async def update(self, session: Session) -> Session:
        """Rewrites the editable fields: title, mode, number, times, place, link and status."""
        if session.id is None:
            raise ValueError("update needs a stored session (id is None)")
        row = await self._one(
            "UPDATE sessions SET kind = ?, title = ?, mode = ?, number = ?, starts_at = ?, "
            "deadline = ?, location = ?, video_link = ?, status = ? "
            f"WHERE id = ? RETURNING {COLUMNS}",
            (
                session.kind.value,
                session.title,
                session.mode.value,
                session.number,
                optional_utc_text(session.starts_at),
                optional_utc_text(session.deadline),
                session.location,
                session.video_link,
                session.status.value,
                session.id,
            ),
        )
        if row is None:
            raise NotFound("sessions", session.id)
        return session_from_row(row)

    async def set_status(self, session_id: int, status: SessionStatus) -> Session:
        row = await self._one(
            f"UPDATE sessions SET status = ? WHERE id = ? RETURNING {COLUMNS}",
            (status.value, session_id),
        )
        if row is None:
            raise NotFound("sessions", session_id)
        return session_from_row(row)

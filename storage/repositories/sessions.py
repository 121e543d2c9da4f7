"""Sessions of a body: regular, extraordinary, correspondence, ceremonial."""

from __future__ import annotations

from datetime import datetime

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.models import Session, SessionKind, SessionMode, SessionStatus
from storage.columns import now_utc, optional_parse_utc, optional_utc_text, parse_utc, utc_text
from storage.engine import Row
from storage.errors import NotFound
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

COLUMNS = (
    "id, body_id, kind, title, mode, number, starts_at, deadline, location, video_link, "
    "status, created_at"
)


def session_from_row(row: Row) -> Session:
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

    async def add(self, session: Session, *, actor: str = SYSTEM_ACTOR) -> Session:
        """Stores a new session; ``created_at`` defaults to now. A session stored already past
        its draft has that status recorded in the audit trail."""
        created_at = session.created_at or now_utc()
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
                utc_text(created_at),
            ),
        )
        assert row is not None
        stored = session_from_row(row)
        if stored.status is not SessionStatus.DRAFT:
            assert stored.id is not None
            await self._record_status(stored.id, None, stored.status, created_at, actor)
        return stored

    async def get(self, session_id: int) -> Session | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM sessions WHERE id = ?", (session_id,), session_from_row
        )

    async def list_for_body(self, body_id: int) -> list[Session]:
        """Newest first."""
        return await self._list(
            f"SELECT {COLUMNS} FROM sessions WHERE body_id = ? ORDER BY created_at DESC, id DESC",
            (body_id,),
            session_from_row,
        )

    async def update(
        self, session: Session, *, at: datetime | None = None, actor: str = SYSTEM_ACTOR
    ) -> Session:
        """Rewrites the editable fields: title, mode, number, times, place, link and status.

        A change of status is recorded in the audit trail at ``at`` (default now).
        """
        if session.id is None:
            raise ValueError("update needs a stored session (id is None)")
        before = await self.get(session.id)
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
        if row is None or before is None:
            raise NotFound("sessions", session.id)
        updated = session_from_row(row)
        if updated.status is not before.status:
            await self._record_status(
                session.id, before.status, updated.status, at or now_utc(), actor
            )
        return updated

    async def set_status(
        self,
        session_id: int,
        status: SessionStatus,
        *,
        at: datetime | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> Session:
        """Sets the status; a change (not a repetition) is recorded in the audit trail at
        ``at`` (default now), by ``actor`` (``person:7``; ``system`` by default)."""
        before = await self.get(session_id)
        if before is None:
            raise NotFound("sessions", session_id)
        if before.status is status:
            return before
        row = await self._one(
            f"UPDATE sessions SET status = ? WHERE id = ? RETURNING {COLUMNS}",
            (status.value, session_id),
        )
        if row is None:
            raise NotFound("sessions", session_id)
        await self._record_status(session_id, before.status, status, at or now_utc(), actor)
        return session_from_row(row)

    async def _record_status(
        self,
        session_id: int,
        previous: SessionStatus | None,
        status: SessionStatus,
        at: datetime,
        actor: str,
    ) -> None:
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.SESSION_STATUS,
            session_subject(session_id),
            actor,
            {"status": status.value, "previous": None if previous is None else previous.value},
            at,
        )

"""Presence checks of a live session and the messages the bot keeps up to date for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.models import Platform
from storage.columns import now_utc, parse_utc, utc_text
from storage.engine import Row
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository


class CheckpointReason(StrEnum):
    START = "start"  # the opening of the session (art. 26, 38(2))
    VOTE = "vote"  # before a vote
    BREAK = "break"  # after a break or an interruption
    REQUEST = "request"  # the chair or a member asked for it (art. 38(3))


class PanelKind(StrEnum):
    QUORUM = "quorum"  # the chair's live presence and quorum
    HALL = "hall"  # the clerk's list for marking members present in the hall


@dataclass(frozen=True, slots=True)
class Checkpoint:
    session_id: int
    checkpoint: int
    reason: CheckpointReason
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class PanelRef:
    session_id: int
    kind: PanelKind
    person_id: int
    platform: Platform
    chat_id: str
    message_id: str


def _checkpoint(row: Row) -> Checkpoint:
    return Checkpoint(
        session_id=row["session_id"],
        checkpoint=row["checkpoint"],
        reason=CheckpointReason(row["reason"]),
        opened_at=parse_utc(row["opened_at"]),
    )


class LivePresenceRepository(Repository):
    __slots__ = ()

    async def open_checkpoint(
        self, session_id: int, reason: CheckpointReason, opened_at: datetime
    ) -> Checkpoint:
        """The session's next presence check: 0 first, then 1, 2, ..."""
        row = await self._one(
            "INSERT INTO live_checkpoints (session_id, checkpoint, reason, opened_at) "
            "SELECT ?, COALESCE(MAX(checkpoint), -1) + 1, ?, ? FROM live_checkpoints "
            "WHERE session_id = ? RETURNING session_id, checkpoint, reason, opened_at",
            (session_id, reason.value, utc_text(opened_at), session_id),
        )
        assert row is not None
        return _checkpoint(row)

    async def latest(self, session_id: int) -> Checkpoint | None:
        row = await self._one(
            "SELECT session_id, checkpoint, reason, opened_at FROM live_checkpoints "
            "WHERE session_id = ? ORDER BY checkpoint DESC LIMIT 1",
            (session_id,),
        )
        return None if row is None else _checkpoint(row)

    async def checkpoints(self, session_id: int) -> list[Checkpoint]:
        rows = await self._all(
            "SELECT session_id, checkpoint, reason, opened_at FROM live_checkpoints "
            "WHERE session_id = ? ORDER BY checkpoint",
            (session_id,),
        )
        return [_checkpoint(row) for row in rows]

    async def checkpoint_in_use(self, session_id: int, checkpoint: int) -> bool:
        """Whether a vote or election round was already held on this presence check."""
        row = await self._one(
            "SELECT 1 FROM live_rounds WHERE session_id = ? AND checkpoint = ? "
            "UNION ALL SELECT 1 FROM live_election_rounds WHERE session_id = ? AND checkpoint = ? "
            "LIMIT 1",
            (session_id, checkpoint, session_id, checkpoint),
        )
        return row is not None

    async def present(self, session_id: int, checkpoint: int) -> list[int]:
        """Person ids marked present at the checkpoint."""
        rows = await self._all(
            "SELECT person_id FROM attendance WHERE session_id = ? AND checkpoint = ? "
            "AND status = 'present' ORDER BY person_id",
            (session_id, checkpoint),
        )
        return [row["person_id"] for row in rows]

    async def withdraw(
        self,
        session_id: int,
        checkpoint: int,
        person_id: int,
        *,
        at: datetime | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> bool:
        """Removes a presence mark (the clerk unmarks a member who left the hall); the audit
        trail records the removal (``attendance_withdrawn``), so it is not taken for tampering."""
        changed = await self._run(
            "DELETE FROM attendance WHERE session_id = ? AND checkpoint = ? AND person_id = ?",
            (session_id, checkpoint, person_id),
        )
        if changed:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.ATTENDANCE_WITHDRAWN,
                session_subject(session_id),
                actor,
                {"checkpoint": checkpoint, "person": person_id},
                at or now_utc(),
            )
        return changed > 0

    # --- panels ----------------------------------------------------------------------------

    async def set_panel(self, panel: PanelRef) -> None:
        await self._run(
            "INSERT INTO live_panels (session_id, kind, person_id, platform, chat_id, message_id) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, kind, platform, chat_id) "
            "DO UPDATE SET person_id = excluded.person_id, message_id = excluded.message_id",
            (
                panel.session_id,
                panel.kind.value,
                panel.person_id,
                panel.platform.value,
                panel.chat_id,
                panel.message_id,
            ),
        )

    async def panels(self, session_id: int, kind: PanelKind) -> list[PanelRef]:
        rows = await self._all(
            "SELECT session_id, kind, person_id, platform, chat_id, message_id FROM live_panels "
            "WHERE session_id = ? AND kind = ? ORDER BY platform, chat_id",
            (session_id, kind.value),
        )
        return [
            PanelRef(
                session_id=row["session_id"],
                kind=PanelKind(row["kind"]),
                person_id=row["person_id"],
                platform=Platform(row["platform"]),
                chat_id=row["chat_id"],
                message_id=row["message_id"],
            )
            for row in rows
        ]

"""Attendance: presence, absence or excused absence of a member at each checkpoint."""

from __future__ import annotations

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, person_actor, session_subject
from bot.domain.audit_facts import reason_digest
from bot.domain.models import Attendance, AttendanceStatus, Platform
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

# Platforms on which the member states their own presence; in the hall or from the command
# line, staff record it.
_OWN_STATEMENT = frozenset({Platform.TELEGRAM, Platform.MATRIX})

COLUMNS = "session_id, checkpoint, person_id, status, reason, recorded_at, platform"


def attendance_from_row(row: Row) -> Attendance:
    return Attendance(
        session_id=row["session_id"],
        person_id=row["person_id"],
        status=AttendanceStatus(row["status"]),
        recorded_at=parse_utc(row["recorded_at"]),
        platform=Platform(row["platform"]),
        reason=row["reason"],
        checkpoint=row["checkpoint"],
    )


class AttendanceRepository(Repository):
    __slots__ = ()

    async def record(self, attendance: Attendance) -> Attendance:
        """One entry per member and checkpoint; a later statement replaces an earlier one
        (a member marked absent who then joins the call is present).

        Each statement enters the audit trail (``attendance_recorded``: status, platform and a
        digest of the reason, never its text), so the minutes' presence can be checked."""
        row = await self._one(
            "INSERT INTO attendance (session_id, checkpoint, person_id, status, reason, "
            "recorded_at, platform) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, checkpoint, person_id) DO UPDATE SET "
            "status = excluded.status, reason = excluded.reason, "
            "recorded_at = excluded.recorded_at, platform = excluded.platform "
            f"RETURNING {COLUMNS}",
            (
                attendance.session_id,
                attendance.checkpoint,
                attendance.person_id,
                attendance.status.value,
                attendance.reason,
                utc_text(attendance.recorded_at),
                attendance.platform.value,
            ),
        )
        assert row is not None
        stored = attendance_from_row(row)
        actor = (
            person_actor(stored.person_id) if stored.platform in _OWN_STATEMENT else SYSTEM_ACTOR
        )
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.ATTENDANCE_RECORDED,
            session_subject(stored.session_id),
            actor,
            {
                "checkpoint": stored.checkpoint,
                "person": stored.person_id,
                "status": stored.status.value,
                "platform": stored.platform.value,
                "reason_digest": reason_digest(row["reason"] or ""),
            },
            stored.recorded_at,
        )
        return stored

    async def list_for_session(
        self, session_id: int, checkpoint: int | None = None
    ) -> list[Attendance]:
        """All checkpoints, or only the one given; ordered by checkpoint, then member."""
        if checkpoint is None:
            rows = await self._all(
                f"SELECT {COLUMNS} FROM attendance WHERE session_id = ? "
                "ORDER BY checkpoint, person_id",
                (session_id,),
            )
        else:
            rows = await self._all(
                f"SELECT {COLUMNS} FROM attendance WHERE session_id = ? AND checkpoint = ? "
                "ORDER BY person_id",
                (session_id, checkpoint),
            )
        return [attendance_from_row(row) for row in rows]

    async def latest_checkpoint(self, session_id: int) -> int | None:
        row = await self._one(
            "SELECT MAX(checkpoint) AS checkpoint FROM attendance WHERE session_id = ?",
            (session_id,),
        )
        return None if row is None or row["checkpoint"] is None else int(row["checkpoint"])

"""Attendance: presence, absence or excused absence of a member at each checkpoint."""

from __future__ import annotations

import sqlite3

from bot.domain.models import Attendance, AttendanceStatus, Platform
from storage.columns import parse_utc, utc_text
from storage.repositories.base import Repository

COLUMNS = "session_id, checkpoint, person_id, status, reason, recorded_at, platform"


def attendance_from_row(row: sqlite3.Row) -> Attendance:
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
        (a member marked absent who then joins the call is present)."""
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
        return attendance_from_row(row)

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

"""Which reminders of a correspondence session were handled: each goes out at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class ReminderOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # overtaken by a later reminder while the bot was down


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    session_id: int
    lead_minutes: int  # how long before the deadline
    due_at: datetime
    handled_at: datetime
    outcome: ReminderOutcome
    recipients: int = 0


COLUMNS = "session_id, lead_minutes, due_at, handled_at, outcome, recipients"


def reminder_from_row(row: Row) -> ReminderRecord:
    return ReminderRecord(
        session_id=row["session_id"],
        lead_minutes=row["lead_minutes"],
        due_at=parse_utc(row["due_at"]),
        handled_at=parse_utc(row["handled_at"]),
        outcome=ReminderOutcome(row["outcome"]),
        recipients=row["recipients"],
    )


class CorrespondenceReminderRepository(Repository):
    __slots__ = ()

    async def claim(
        self,
        session_id: int,
        lead_minutes: int,
        due_at: datetime,
        handled_at: datetime,
        outcome: ReminderOutcome,
    ) -> bool:
        """Record the reminder as handled; False when it was handled before (do nothing)."""
        changed = await self._run(
            "INSERT INTO correspondence_reminders (session_id, lead_minutes, due_at, handled_at, "
            "outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, lead_minutes) DO NOTHING",
            (session_id, lead_minutes, utc_text(due_at), utc_text(handled_at), outcome.value),
        )
        return changed == 1

    async def set_recipients(self, session_id: int, lead_minutes: int, recipients: int) -> None:
        await self._run(
            "UPDATE correspondence_reminders SET recipients = ? "
            "WHERE session_id = ? AND lead_minutes = ?",
            (recipients, session_id, lead_minutes),
        )

    async def list_for_session(self, session_id: int) -> list[ReminderRecord]:
        rows = await self._all(
            f"SELECT {COLUMNS} FROM correspondence_reminders WHERE session_id = ? ORDER BY due_at",
            (session_id,),
        )
        return [reminder_from_row(row) for row in rows]

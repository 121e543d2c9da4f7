"""Chat messages of a correspondence session that the bot edits later.

A member's invitation and voting messages lose their buttons once used or when the session
closes; each clerk's live tally and delivery report are one message per chat, edited in place.
A member's messages are remembered one by one as the platform accepts them, so a sender that
resumes after a stop sends only those not remembered yet.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class MessagePurpose(StrEnum):
    INVITATION = "invitation"
    VOTE = "vote"
    TALLY = "tally"
    REPORT = "report"  # a clerk's delivery report; kept in correspondence_reports


@dataclass(frozen=True, slots=True)
class SessionMessage:
    id: int | None
    session_id: int
    person_id: int
    purpose: MessagePurpose
    platform: Platform
    chat_id: str
    message_id: str
    sent_at: datetime
    motion_id: int | None = None


COLUMNS = "id, session_id, person_id, purpose, motion_id, platform, chat_id, message_id, sent_at"


def message_from_row(row: Row) -> SessionMessage:
    return SessionMessage(
        id=row["id"],
        session_id=row["session_id"],
        person_id=row["person_id"],
        purpose=MessagePurpose(row["purpose"]),
        motion_id=row["motion_id"],
        platform=Platform(row["platform"]),
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        sent_at=parse_utc(row["sent_at"]),
    )


class CorrespondenceMessageRepository(Repository):
    __slots__ = ()

    async def add(self, message: SessionMessage) -> None:
        """Remember a message; remembering the same chat message again changes nothing."""
        await self._run(
            "INSERT INTO correspondence_messages (session_id, person_id, purpose, motion_id, "
            "platform, chat_id, message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, chat_id, message_id) DO NOTHING",
            (
                message.session_id,
                message.person_id,
                message.purpose.value,
                message.motion_id,
                message.platform.value,
                message.chat_id,
                message.message_id,
                utc_text(message.sent_at),
            ),
        )

    async def list(
        self,
        session_id: int,
        purpose: MessagePurpose,
        *,
        person_id: int | None = None,
        motion_id: int | None = None,
    ) -> list[SessionMessage]:
        """In the order they were sent; narrowed to a person and/or a motion when given."""
        sql = f"SELECT {COLUMNS} FROM correspondence_messages WHERE session_id = ? AND purpose = ?"
        params: list[object] = [session_id, purpose.value]
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        if motion_id is not None:
            sql += " AND motion_id = ?"
            params.append(motion_id)
        return await self._list(sql + " ORDER BY sent_at, id", params, message_from_row)

    async def add_report(self, message: SessionMessage) -> None:
        """Remember a clerk's delivery report message (edited until every member is settled)."""
        await self._run(
            "INSERT INTO correspondence_reports (session_id, person_id, platform, chat_id, "
            "message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, chat_id, message_id) DO NOTHING",
            (
                message.session_id,
                message.person_id,
                message.platform.value,
                message.chat_id,
                message.message_id,
                utc_text(message.sent_at),
            ),
        )

    async def reports(self, session_id: int) -> builtins.list[SessionMessage]:  # not self.list
        def from_row(row: Row) -> SessionMessage:
            return SessionMessage(
                id=row["id"],
                session_id=row["session_id"],
                person_id=row["person_id"],
                purpose=MessagePurpose.REPORT,
                platform=Platform(row["platform"]),
                chat_id=row["chat_id"],
                message_id=row["message_id"],
                sent_at=parse_utc(row["sent_at"]),
            )

        return await self._list(
            "SELECT id, session_id, person_id, platform, chat_id, message_id, sent_at "
            "FROM correspondence_reports WHERE session_id = ? ORDER BY id",
            (session_id,),
            from_row,
        )

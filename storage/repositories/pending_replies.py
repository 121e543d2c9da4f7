"""Replies stored with the event they answer, until delivered (migration 0007)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import Platform
from storage.columns import parse_utc, utc_text
from storage.repositories.base import Repository, placeholders

ChoiceRow = tuple[tuple[str, str], ...]  # (label, payload) per button


@dataclass(frozen=True, slots=True)
class PendingReply:
    """To one chat (``chat_platform`` and ``chat_id``) or to every chat of ``person_id``."""

    id: int | None
    created_at: datetime
    html: str
    person_id: int | None = None
    chat_platform: Platform | None = None
    chat_id: str | None = None
    chat_is_direct: bool = True
    poll_question: str = ""
    choices: tuple[ChoiceRow, ...] = ()


REMOVE_AT_ONCE = 500  # well under SQLite's limit on the parameters of one statement


class PendingReplyRepository(Repository):
    __slots__ = ()

    async def add(self, reply: PendingReply) -> int:
        row = await self._one(
            "INSERT INTO pending_replies (created_at, person_id, chat_platform, chat_id, "
            "chat_is_direct, html, poll_question) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                utc_text(reply.created_at),
                reply.person_id,
                reply.chat_platform.value if reply.chat_platform else None,
                reply.chat_id,
                reply.chat_is_direct,
                reply.html,
                reply.poll_question,
            ),
        )
        assert row is not None
        reply_id = int(row["id"])
        choices = [
            (reply_id, row_index, column_index, label, payload)
            for row_index, row in enumerate(reply.choices)
            for column_index, (label, payload) in enumerate(row)
        ]
        if choices:
            await self._run_many(
                "INSERT INTO pending_reply_choices (reply_id, row_index, column_index, label, "
                "payload) VALUES (?, ?, ?, ?, ?)",
                choices,
            )
        return reply_id

    async def remove(self, reply_ids: Sequence[int]) -> int:
        removed = 0
        for start in range(0, len(reply_ids), REMOVE_AT_ONCE):
            chunk = tuple(reply_ids[start : start + REMOVE_AT_ONCE])
            removed += await self._run(
                f"DELETE FROM pending_replies WHERE id IN ({placeholders(len(chunk))})", chunk
            )
        return removed

    async def all(self) -> list[PendingReply]:
        """Every reply not yet delivered, oldest first."""
        rows = await self._all(
            "SELECT id, created_at, person_id, chat_platform, chat_id, chat_is_direct, html, "
            "poll_question FROM pending_replies ORDER BY id"
        )
        if not rows:
            return []
        choice_rows = await self._all(
            "SELECT reply_id, row_index, label, payload FROM pending_reply_choices "
            "ORDER BY reply_id, row_index, column_index"
        )
        buttons: dict[int, dict[int, list[tuple[str, str]]]] = {}
        for row in choice_rows:
            by_row = buttons.setdefault(row["reply_id"], {})
            by_row.setdefault(row["row_index"], []).append((row["label"], row["payload"]))
        return [
            PendingReply(
                id=row["id"],
                created_at=parse_utc(row["created_at"]),
                html=row["html"],
                person_id=row["person_id"],
                chat_platform=Platform(row["chat_platform"]) if row["chat_platform"] else None,
                chat_id=row["chat_id"],
                chat_is_direct=bool(row["chat_is_direct"]),
                poll_question=row["poll_question"],
                choices=_rows(buttons.get(row["id"], {})),
            )
            for row in rows
        ]


def _rows(by_row: dict[int, list[tuple[str, str]]]) -> tuple[ChoiceRow, ...]:
    return tuple(tuple(by_row[index]) for index in sorted(by_row))

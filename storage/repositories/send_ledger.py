"""Batches of messages sent exactly once: who is to get them, which pass sends them, and each
message recorded as the platform accepted it (migration 14, bot/send_ledger.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class SendBatch:
    id: int
    kind: str
    scope: str
    detail: Mapping[str, Any]
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class BatchRecipient:
    batch_id: int
    person_id: int
    detail: Mapping[str, Any]
    done_at: datetime | None
    chats: int = 0


@dataclass(frozen=True, slots=True)
class BatchMessage:
    person_id: int
    part: str
    platform: str
    chat_id: str
    message_id: str


def _batch(row: Row) -> SendBatch:
    return SendBatch(
        id=row["id"],
        kind=row["kind"],
        scope=row["scope"],
        detail=json.loads(row["detail"]),
        created_at=parse_utc(row["created_at"]),
        finished_at=parse_utc(row["finished_at"]) if row["finished_at"] else None,
    )


def _recipient(row: Row) -> BatchRecipient:
    return BatchRecipient(
        batch_id=row["batch_id"],
        person_id=row["person_id"],
        detail=json.loads(row["detail"]),
        done_at=parse_utc(row["done_at"]) if row["done_at"] else None,
        chats=row["chats"],
    )


def _message(row: Row) -> BatchMessage:
    return BatchMessage(
        row["person_id"], row["part"], row["platform"], row["chat_id"], row["message_id"]
    )


BATCH_COLUMNS = "id, kind, scope, detail, created_at, finished_at"
RECIPIENT_COLUMNS = "batch_id, person_id, detail, done_at, chats"


class SendLedgerRepository(Repository):
    __slots__ = ()

    async def create(
        self, kind: str, scope: str, at: datetime, detail: Mapping[str, Any] | None = None
    ) -> int:
        """The batch's id; created once (a second call finds the first one)."""
        await self._run(
            "INSERT INTO send_batches (kind, scope, detail, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, scope) DO NOTHING",
            (kind, scope, json.dumps(dict(detail or {}), sort_keys=True), utc_text(at)),
        )
        row = await self._one(
            "SELECT id FROM send_batches WHERE kind = ? AND scope = ?", (kind, scope)
        )
        assert row is not None
        return int(row["id"])

    async def get(self, kind: str, scope: str) -> SendBatch | None:
        return await self._get(
            f"SELECT {BATCH_COLUMNS} FROM send_batches WHERE kind = ? AND scope = ?",
            (kind, scope),
            _batch,
        )

    async def by_id(self, batch_id: int) -> SendBatch | None:
        return await self._get(
            f"SELECT {BATCH_COLUMNS} FROM send_batches WHERE id = ?", (batch_id,), _batch
        )

    async def unfinished(self, kind: str) -> list[SendBatch]:
        return await self._list(
            f"SELECT {BATCH_COLUMNS} FROM send_batches WHERE kind = ? AND finished_at IS NULL "
            "ORDER BY id",
            (kind,),
            _batch,
        )

    async def add_recipients(
        self,
        batch_id: int,
        recipients: Iterable[tuple[int, Mapping[str, Any]]],
        at: datetime,
    ) -> None:
        """Add people to the batch (those already on it stay as they are); reopens a finished
        batch when somebody new is added."""
        rows = [
            (batch_id, person_id, json.dumps(dict(detail), sort_keys=True), utc_text(at))
            for person_id, detail in recipients
        ]
        if not rows:
            return
        await self._run_many(
            "INSERT INTO send_batch_recipients (batch_id, person_id, detail, added_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (batch_id, person_id) DO NOTHING",
            rows,
        )
        await self._run(
            "UPDATE send_batches SET finished_at = NULL WHERE id = ? AND EXISTS (SELECT 1 FROM "
            "send_batch_recipients WHERE batch_id = ? AND done_at IS NULL)",
            (batch_id, batch_id),
        )

    async def recipients(self, batch_id: int) -> list[BatchRecipient]:
        return await self._list(
            f"SELECT {RECIPIENT_COLUMNS} FROM send_batch_recipients WHERE batch_id = ? "
            "ORDER BY added_at, person_id",
            (batch_id,),
            _recipient,
        )

    async def pending(self, batch_id: int) -> list[BatchRecipient]:
        return await self._list(
            f"SELECT {RECIPIENT_COLUMNS} FROM send_batch_recipients "
            "WHERE batch_id = ? AND done_at IS NULL ORDER BY added_at, person_id",
            (batch_id,),
            _recipient,
        )

    async def claim(
        self, batch_id: int, owner: str, process: str, at: datetime, lapsed_before: datetime
    ) -> bool:
        """Take (or renew) the batch's sending for ``owner`` (a pass of the bot process
        ``process``); False while another pass of this process holds a claim that has not
        lapsed. A claim of an earlier process (stopped or crashed) lapses at once."""
        changed = await self._run(
            "UPDATE send_batches SET owner = ?, claimed_at = ? WHERE id = ? AND "
            "(owner IS NULL OR owner = ? OR claimed_at < ? OR owner NOT LIKE ?)",
            (owner, utc_text(at), batch_id, owner, utc_text(lapsed_before), f"{process}:%"),
        )
        return changed == 1

    async def release(self, batch_id: int, owner: str) -> None:
        await self._run(
            "UPDATE send_batches SET owner = NULL, claimed_at = NULL WHERE id = ? AND owner = ?",
            (batch_id, owner),
        )

    async def record(
        self,
        batch_id: int,
        person_id: int,
        part: str,
        platform: str,
        chat_id: str,
        message_id: str,
        at: datetime,
    ) -> None:
        await self._run(
            "INSERT INTO send_batch_messages (batch_id, person_id, part, platform, chat_id, "
            "message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (batch_id, person_id, part, platform, chat_id) DO NOTHING",
            (batch_id, person_id, part, platform, chat_id, message_id, utc_text(at)),
        )

    async def messages(self, batch_id: int, person_id: int | None = None) -> list[BatchMessage]:
        sql = (
            "SELECT person_id, part, platform, chat_id, message_id FROM send_batch_messages "
            "WHERE batch_id = ?"
        )
        params: list[object] = [batch_id]
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        return await self._list(sql + " ORDER BY sent_at", params, _message)

    async def mark_done(self, batch_id: int, person_id: int, chats: int, at: datetime) -> None:
        await self._run(
            "UPDATE send_batch_recipients SET done_at = ?, chats = ? "
            "WHERE batch_id = ? AND person_id = ? AND done_at IS NULL",
            (utc_text(at), chats, batch_id, person_id),
        )

    async def finish_if_done(self, batch_id: int, at: datetime) -> bool:
        """Mark the batch finished once nobody on it is left; True only for the call that
        finished it (what follows a finished batch is then done once)."""
        changed = await self._run(
            "UPDATE send_batches SET finished_at = ?, owner = NULL, claimed_at = NULL "
            "WHERE id = ? AND finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
            "send_batch_recipients WHERE batch_id = ? AND done_at IS NULL)",
            (utc_text(at), batch_id, batch_id),
        )
        return changed == 1

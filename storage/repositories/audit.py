"""The audit trail: an append-only, hash-chained log (``audit_log``, docs/AUDIT.md).

``append`` runs in the caller's transaction, so an entry commits or rolls back together with
the fact it records; the writer lock of ``Database.transaction()`` (and BEGIN IMMEDIATE across
processes) serialises appends, so two entries never claim the same number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from bot.domain.audit_chain import (
    EMPTY_HEAD,
    ChainEntry,
    ChainHead,
    DetailValue,
    next_entry,
)
from storage.columns import utc_text
from storage.engine import Row
from storage.keyring import KeyRing
from storage.repositories.base import Repository

COLUMNS = "seq, recorded_at, kind, subject, actor, details, prev_hash, hash, mac"


def entry_from_row(row: Row) -> ChainEntry:
    return ChainEntry(
        seq=row["seq"],
        recorded_at=row["recorded_at"],
        kind=row["kind"],
        subject=row["subject"],
        actor=row["actor"],
        details=row["details"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        mac=row["mac"],
    )


class AuditRepository(Repository):
    __slots__ = ()

    @property
    def signer(self) -> KeyRing | None:
        """The key ring that signs this connection's entries (None: unsigned)."""
        return self._keys

    async def append(
        self,
        kind: str,
        subject: str,
        actor: str,
        details: Mapping[str, DetailValue] | None,
        at: datetime,
    ) -> ChainEntry:
        """Adds the next entry of the chain and returns it as stored.

        ``details`` is a small flat dict of facts (strings, integers, booleans, None): never a
        secret, never what a secret ballot says. Raises ``InvalidAuditEntry`` otherwise.
        With the server's keys the entry is signed (``mac``); without them it stays unsigned.
        """
        entry = next_entry(await self.head(), utc_text(at), kind, subject, actor, details or {})
        if self._keys is not None:
            entry = replace(entry, mac=self._keys.sign(entry.hash.encode("ascii")))
        await self._run(
            f"INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.seq,
                entry.recorded_at,
                entry.kind,
                entry.subject,
                entry.actor,
                entry.details,
                entry.prev_hash,
                entry.hash,
                entry.mac,
            ),
        )
        return entry

    async def head(self) -> ChainHead:
        """Number and hash of the newest entry; (0, 64 zeros) while the log is empty."""
        row = await self._one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        return EMPTY_HEAD if row is None else ChainHead(row["seq"], row["hash"])

    async def count(self) -> int:
        row = await self._one("SELECT COUNT(*) AS n FROM audit_log")
        return 0 if row is None else int(row["n"])

    async def entries_after(self, seq: int, limit: int) -> list[ChainEntry]:
        """Up to ``limit`` entries numbered above ``seq``, in order: a long log is read in pages."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [entry_from_row(row) for row in rows]

    async def latest(self, count: int) -> list[ChainEntry]:
        """The newest ``count`` entries, oldest of them first."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ?", (count,)
        )
        return [entry_from_row(row) for row in reversed(rows)]

    async def for_subject(self, subject: str) -> list[ChainEntry]:
        """Entries about one subject (e.g. ``session:5``), in order."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM audit_log WHERE subject = ? ORDER BY seq", (subject,)
        )
        return [entry_from_row(row) for row in rows]

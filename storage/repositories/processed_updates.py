"""Processed chat updates: Telegram and Matrix redeliver; each update is handled once."""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import Platform
from storage.columns import now_utc, utc_text
from storage.repositories.base import Repository


class ProcessedUpdateRepository(Repository):
    __slots__ = ()

    async def mark(self, platform: Platform, key: str, now: datetime | None = None) -> bool:
        """True if the update is new (and is now marked), False if it was seen before.

        Call it in the same transaction as the update's effects, so a crash between the two
        cannot mark an update that was never handled.
        """
        inserted = await self._run(
            "INSERT INTO processed_updates (platform, update_key, processed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, update_key) DO NOTHING",
            (platform.value, key, utc_text(now or now_utc())),
        )
        return inserted == 1

    async def seen(self, platform: Platform, key: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM processed_updates WHERE platform = ? AND update_key = ?",
            (platform.value, key),
        )
        return row is not None

    async def prune(self, older_than: datetime) -> int:
        """Forgets updates processed before ``older_than``; platforms stop redelivering long
        before. Returns how many were removed."""
        return await self._run(
            "DELETE FROM processed_updates WHERE processed_at < ?", (utc_text(older_than),)
        )

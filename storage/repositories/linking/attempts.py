"""Wrong linking codes per chat account and per chat (migration 0012): the limit on guessing."""

from __future__ import annotations

from datetime import datetime

from storage.columns import parse_utc, utc_text
from storage.repositories.base import Repository


class LinkingAttemptRepository(Repository):
    __slots__ = ()

    async def record(self, platform: str, account: str, chat: str, at: datetime) -> None:
        await self._run(
            "INSERT INTO linking_attempts (platform, account, chat, attempted_at) "
            "VALUES (?, ?, ?, ?)",
            (platform, account, chat, utc_text(at)),
        )

    async def since(self, platform: str, account: str, chat: str, moment: datetime) -> int:
        """Wrong codes after ``moment`` from this account or in this chat, whichever is more."""
        stamp = utc_text(moment)
        row = await self._one(
            "SELECT "
            "(SELECT COUNT(*) FROM linking_attempts "
            " WHERE platform = ? AND account = ? AND attempted_at > ?) AS by_account, "
            "(SELECT COUNT(*) FROM linking_attempts "
            " WHERE platform = ? AND chat = ? AND attempted_at > ?) AS by_chat",
            (platform, account, stamp, platform, chat, stamp),
        )
        return 0 if row is None else max(int(row["by_account"]), int(row["by_chat"]))

    async def oldest_since(
        self, platform: str, account: str, chat: str, moment: datetime
    ) -> datetime | None:
        """The first of the counted attempts, to say when the limit lifts."""
        stamp = utc_text(moment)
        row = await self._one(
            "SELECT MIN(attempted_at) AS first FROM linking_attempts "
            "WHERE platform = ? AND (account = ? OR chat = ?) AND attempted_at > ?",
            (platform, account, chat, stamp),
        )
        return None if row is None or row["first"] is None else parse_utc(row["first"])

    async def prune(self, before: datetime) -> int:
        return await self._run(
            "DELETE FROM linking_attempts WHERE attempted_at < ?", (utc_text(before),)
        )

"""The application's shared services, handed to handlers and scheduled jobs explicitly."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.coalesce import Coalescer
from bot.domain.rules import RuleSet
from bot.domain.rules_loader import load_named_rule_set
from bot.messenger import Messenger
from bot.scheduler import Scheduler
from bot.timeutil import utc_now
from config.settings import Settings, load_settings
from storage.combined_writes import CombinedWrites
from storage.database import Database
from storage.repositories import Repositories

TALLY_REFRESH_SECONDS = 2.0


@dataclass
class App:
    db: Database
    messenger: Messenger
    scheduler: Scheduler
    settings: Settings = field(default_factory=lambda: load_settings(None, {}))
    clock: Callable[[], datetime] = utc_now
    # Clerks' live tallies are edited once per burst of votes, not once per vote, and at most
    # once per TALLY_REFRESH_SECONDS (Telegram allows about one message per second in a chat).
    tally_refreshes: Coalescer = field(
        default_factory=lambda: Coalescer(min_interval=TALLY_REFRESH_SECONDS)
    )
    # Replies kept until delivered are forgotten in batches (bot/reply_outbox.py).
    delivered_replies: CombinedWrites[int] = field(init=False)

    def __post_init__(self) -> None:
        self.delivered_replies = CombinedWrites(self.db, _forget_replies, "delivered replies")

    def now(self) -> datetime:
        return self.clock()

    async def drain_writes(self) -> None:
        """At stop: what was sent is recorded, what was delivered is forgotten."""
        await self.messenger.drain()
        await self.delivered_replies.drain()

    def rule_set(self, name: str) -> RuleSet:
        return _load_rule_set(name, self.settings.rules_search_path)


async def _forget_replies(repos: Repositories, reply_ids: Sequence[int]) -> None:
    await repos.pending_replies.remove(reply_ids)


@functools.lru_cache(maxsize=32)
def _load_rule_set(name: str, search_dirs: tuple[Path, ...]) -> RuleSet:
    return load_named_rule_set(name, search_dirs)

"""The application's shared services, handed to handlers and scheduled jobs explicitly."""

from __future__ import annotations

import functools
from collections.abc import Callable
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
from storage.database import Database

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

    def now(self) -> datetime:
        return self.clock()

    def rule_set(self, name: str) -> RuleSet:
        return _load_rule_set(name, self.settings.rules_search_path)


@functools.lru_cache(maxsize=32)
def _load_rule_set(name: str, search_dirs: tuple[Path, ...]) -> RuleSet:
    return load_named_rule_set(name, search_dirs)

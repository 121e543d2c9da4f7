"""Daily housekeeping: forget what the bot only needed for a while.

- ``processed_updates`` (duplicate detection): Telegram keeps an undelivered update for a day
  and a Matrix sync replays at most what came after the saved token, so a month is plenty.
- ``sent_messages`` (which buttons the bot offered where): kept far longer than any vote,
  correspondence session or survey stays open, since a press on a forgotten message is refused.
- ``linking_attempts`` (wrong linking codes): the limit looks back an hour; a day is kept.

Runs at start (catching up on days the bot was down) and then once a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PROCESSED_UPDATES_KEPT = timedelta(days=30)
SENT_MESSAGES_KEPT = timedelta(days=400)
LINKING_ATTEMPTS_KEPT = timedelta(days=1)  # the limit looks back one hour
EVERY = timedelta(days=1)
JOB_ID = "housekeeping"


@dataclass(frozen=True, slots=True)
class Pruned:
    processed_updates: int
    sent_messages: int
    linking_attempts: int = 0


async def prune(app: App) -> Pruned:
    now = app.now()
    async with app.db.transaction() as repos:
        pruned = Pruned(
            processed_updates=await repos.processed_updates.prune(now - PROCESSED_UPDATES_KEPT),
            sent_messages=await repos.sent_messages.prune(now - SENT_MESSAGES_KEPT),
            linking_attempts=await repos.linking_attempts.prune(now - LINKING_ATTEMPTS_KEPT),
        )
    log.info(
        "housekeeping: forgot %d processed updates and %d sent messages",
        pruned.processed_updates,
        pruned.sent_messages,
    )
    return pruned


async def start(app: App) -> None:
    """At start (bot/features.py): prune now, then once a day."""
    try:
        await prune(app)
    finally:  # a failed pass is tried again tomorrow rather than never
        app.scheduler.at(app.now() + EVERY, JOB_ID, lambda: start(app))

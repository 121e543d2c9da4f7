"""Per-chat pacing: a platform that allows about one message a second in a chat (Telegram's
Bot API FAQ) is sent at most that, so bulk sending across many chats never trips the per-chat
flood limit and the overall limit can be used to the full.

The interval is counted from the end of one send to the start of the next in the same chat:
the platform has received the first by then, so the two cannot reach it closer together.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

SWEEP_EVERY = 512  # chats tracked before idle ones are forgotten


@dataclass
class _ChatTurns:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_allowed: float = 0.0
    users: int = 0


class ChatPacer:
    def __init__(self, interval: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._chats: dict[str, _ChatTurns] = {}
        self._sweep_at = SWEEP_EVERY

    @property
    def interval(self) -> float:
        return self._interval

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        """Wait for the chat's next slot, hold it while the send runs, then start the interval."""
        if self._interval <= 0:
            yield
            return
        turns = self._chats.get(chat_id)
        if turns is None:
            if len(self._chats) >= self._sweep_at:
                self._forget_idle()
            turns = self._chats[chat_id] = _ChatTurns()
        turns.users += 1
        try:
            async with turns.lock:
                wait = turns.next_allowed - self._monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    yield
                finally:
                    turns.next_allowed = self._monotonic() + self._interval
        finally:
            turns.users -= 1

    def _forget_idle(self) -> None:
        """Drop chats nobody waits for whose interval is over, so the map stays small."""
        now = self._monotonic()
        for chat_id in [c for c, t in self._chats.items() if not t.users and t.next_allowed <= now]:
            del self._chats[chat_id]
        self._sweep_at = max(SWEEP_EVERY, 2 * len(self._chats))

    def tracked_chats(self) -> int:
        """How many chats hold an entry (ones sent to within the interval, or waiting)."""
        return len(self._chats)

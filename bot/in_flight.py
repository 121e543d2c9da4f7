"""Deliveries that a clean stop lets finish: the bot stops only once the messages in flight are
accepted by the platform and recorded (or a bounded wait ran out).

Stopping used to cancel a sending job between a platform's acceptance and the record, and the
next start sent the whole invitation again. Now a sender wraps each member's send-and-record in
``InFlight.delivery()``; at SIGTERM the runtime first calls ``settle``: no new delivery starts
(``closing``), those under way finish, and only then are the transports stopped. What was not
started is found unsent in the database and sent at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

# A member's invitation is a few messages paced at one a second per chat, plus the materials.
SETTLE_SECONDS = 60.0


class InFlight:
    def __init__(self) -> None:
        self._count = 0
        self._closing = False
        self._changed = asyncio.Condition()

    @property
    def closing(self) -> bool:
        """The bot is stopping: start no new delivery."""
        return self._closing

    @property
    def count(self) -> int:
        return self._count

    @contextlib.asynccontextmanager
    async def delivery(self) -> AsyncIterator[None]:
        """While inside: a delivery the stop waits for."""
        self._count += 1
        try:
            yield
        finally:
            self._count -= 1
            async with self._changed:
                self._changed.notify_all()

    def close(self) -> None:
        """Start no new delivery (the stop signal came); ``settle`` waits for the rest."""
        self._closing = True

    async def settle(self, timeout: float = SETTLE_SECONDS) -> int:
        """Refuse new deliveries and wait for those under way; returns how many were still
        under way when ``timeout`` ran out (0: all finished and recorded)."""
        self._closing = True
        if self._count:
            log.info("waiting for %d deliveries in flight before stopping", self._count)
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self._count == 0), timeout)
        if self._count:
            log.warning("stopping with %d deliveries still in flight", self._count)
        return self._count

"""Wake-ups for everything that waits on the fake platform's state (long polls, test helpers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeSignal:
    """Each :meth:`notify` wakes every waiter, which then re-checks its own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, condition: Callable[[], T | None], timeout: float) -> T:
        """The first truthy value of ``condition()``; TimeoutError after ``timeout`` seconds.

        ``condition`` runs now and after every change, so nothing that happened before the
        call is missed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            result = condition()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

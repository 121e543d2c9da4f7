"""Coalesced follow-up work: a burst of requests for the same key runs the work at most
twice (the run under way, then one more that sees everything requested meanwhile)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable


class Coalescer:
    def __init__(self) -> None:
        self._running: set[Hashable] = set()
        self._requested_again: set[Hashable] = set()

    async def run(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` now, or, while a run for ``key`` is under way, have that caller run it
        once more after it finishes (and return at once)."""
        if key in self._running:
            self._requested_again.add(key)
            return
        self._running.add(key)
        try:
            while True:
                self._requested_again.discard(key)
                await work()
                if key not in self._requested_again:
                    return
        finally:
            self._running.discard(key)
            self._requested_again.discard(key)

    def busy(self, key: Hashable) -> bool:
        return key in self._running

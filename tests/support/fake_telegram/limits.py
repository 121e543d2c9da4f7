"""Failure on demand: injected faults, the platform's flood limits, and what was served.

The flood limits follow the Bot API FAQ: about one message per second in a chat, about thirty
per second overall, twenty per minute in a group. Exceeding one is answered with 429 and a
``retry_after`` of whole seconds until the sliding window has room again.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, server_error, too_many_requests

ParamsPredicate = Callable[[Mapping[str, Any]], bool]


@dataclass
class Fault:
    """A planned failure for the next ``remaining`` calls of ``method`` (``"*"`` for any)."""

    method: str
    status: int
    retry_after: int
    description: str | None
    remaining: int
    when: ParamsPredicate | None = None
    served: int = 0

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.remaining <= 0:
            return False
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.when is None or self.when(params)

    def error(self) -> ApiError:
        if self.status == 429:
            error = too_many_requests(self.retry_after)
        elif self.status >= 500:
            error = server_error(self.status)
        else:
            error = ApiError(self.status, self.description or "Bad Request: injected fault")
        if self.description is not None:
            error.description = self.description
        return error


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def take(self, method: str, params: Mapping[str, Any]) -> ApiError | None:
        """The error for this call if a planned fault applies, using one of its times."""
        for fault in self._faults:
            if fault.matches(method, params):
                fault.remaining -= 1
                fault.served += 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.error()
        return None

    @property
    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()


class _SlidingWindow:
    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.stamps: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        """Whole seconds until a slot frees up, or None when there is room now."""
        while self.stamps and self.stamps[0] <= now - self.period:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return None
        return max(1, math.ceil(self.stamps[0] + self.period - now))

    def record(self, now: float) -> None:
        self.stamps.append(now)


class FloodLimits:
    """Sliding-window limits on message-sending calls, per chat and overall."""

    def __init__(
        self,
        global_per_second: int,
        per_chat_per_second: int,
        per_group_per_minute: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._global = _SlidingWindow(global_per_second, 1.0)
        self._per_chat_per_second = per_chat_per_second
        self._per_group_per_minute = per_group_per_minute
        self._chats: dict[int | str, _SlidingWindow] = {}

    def _chat_window(self, chat_id: int | str) -> _SlidingWindow:
        if chat_id not in self._chats:
            is_group = isinstance(chat_id, str) or chat_id < 0
            self._chats[chat_id] = (
                _SlidingWindow(self._per_group_per_minute, 60.0)
                if is_group
                else _SlidingWindow(self._per_chat_per_second, 1.0)
            )
        return self._chats[chat_id]

    def check(self, chat_id: int | str | None) -> ApiError | None:
        now = self._monotonic()
        waits = [self._global.retry_after(now)]
        if chat_id is not None:
            waits.append(self._chat_window(chat_id).retry_after(now))
        longest = max((wait for wait in waits if wait is not None), default=None)
        return None if longest is None else too_many_requests(longest)

    def record(self, chat_id: int | str | None) -> None:
        now = self._monotonic()
        self._global.record(now)
        if chat_id is not None:
            self._chat_window(chat_id).record(now)


@dataclass
class ApiStats:
    """Counters of what the fake served; methods are counted by their canonical names."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    messages_delivered: int = 0
    delivered_per_chat: Counter[int] = field(default_factory=Counter)

    @property
    def rate_limited(self) -> int:
        """How many 429 answers were served (injected or enforced)."""
        return self.errors[429]

    def record_request(self, method: str) -> None:
        self.requests[method] += 1

    def record_error(self, status: int) -> None:
        self.errors[status] += 1

    def record_delivery(self, chat_id: int) -> None:
        self.messages_delivered += 1
        self.delivered_per_chat[chat_id] += 1

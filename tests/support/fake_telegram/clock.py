"""The platform's clock: the ``date`` of every message and update comes from here.

Tests freeze or move it to put the platform's timestamps where a deadline rule needs them,
without touching the test process's own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime


def unix_time(moment: datetime | float) -> int:
    """Whole Unix seconds; a datetime must carry its time zone, a naive one is ambiguous."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the platform time must be timezone-aware")
        return int(moment.timestamp())
    return int(moment)


class PlatformClock:
    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> int:
        current = self._frozen_at if self._frozen_at is not None else self._source() + self._offset
        return int(current)

    def freeze(self, moment: datetime | float) -> None:
        """Stop the clock at ``moment`` until :meth:`advance`, another freeze or :meth:`resume`."""
        self._frozen_at = float(unix_time(moment))

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def resume(self) -> None:
        """Run again from the current reading, keeping any shift applied so far."""
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._source()
            self._frozen_at = None

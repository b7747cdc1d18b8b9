"""The clock and scheduler the coach is given, so policy rules run under test in microseconds.

Production passes a Qt-backed scheduler and the system clock (`app/qt_clock.py`); tests pass
`FakeClock`, which is both and moves only when told to.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...          # aware UTC wall time, for the record
    def monotonic(self) -> float: ...       # seconds, for measuring waits


class Timer(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer: ...


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock and scheduler in one; `advance()` runs what falls due, in order."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
        self._t = 0.0
        self._queue: list[_Pending] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    def call_later(self, seconds: float, fn: Callable[[], None]) -> _Pending:
        pending = _Pending(self._t + max(0.0, seconds), next(self._seq), fn)
        heapq.heappush(self._queue, pending)
        return pending

    def advance(self, seconds: float) -> None:
        end = self._t + seconds
        while self._queue and self._queue[0].due <= end + 1e-9:
            pending = heapq.heappop(self._queue)
            if pending.cancelled:
                continue
            self._t = max(self._t, pending.due)
            pending.fn()
        self._t = end

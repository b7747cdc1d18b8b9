"""The real clock and a Qt-timer scheduler for the coach; both can run N times faster for the demo."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer


class SystemClock:
    """Wall time for the record, monotonic time for waits. `speed` > 1 makes a demo shift fly."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._wall0 = datetime.now(timezone.utc)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        if self.speed == 1.0:
            return datetime.now(timezone.utc)
        return self._wall0 + timedelta(seconds=self.monotonic())

    def monotonic(self) -> float:
        return (time.monotonic() - self._mono0) * self.speed


class _QtTimerHandle:
    def __init__(self, timer: QTimer) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.stop()
        self._timer.deleteLater()


class QtScheduler:
    """`call_later` on precise Qt timers (a coarse timer may fire ±5 %, i.e. ±100 ms in 2 s)."""

    def __init__(self, parent: QObject | None = None, speed: float = 1.0) -> None:
        self._parent = parent
        self.speed = speed

    def call_later(self, seconds: float, fn: Callable[[], None]) -> _QtTimerHandle:
        timer = QTimer(self._parent)
        timer.setTimerType(Qt.PreciseTimer)
        timer.setSingleShot(True)

        def fire() -> None:
            timer.deleteLater()
            fn()

        timer.timeout.connect(fire)
        timer.start(max(0, round(seconds * 1000 / self.speed)))
        return _QtTimerHandle(timer)


def keep_gui_thread_responsive() -> None:
    """Let the GUI thread take the GIL back within 1 ms (Python's default is 5 ms).

    A background thread busy in Python code (a sync push encoding a batch) otherwise holds the
    GIL while the grace timer is due: measured, the 2-second wait's p99 error went from 8 ms to
    24 ms under such a thread.
    """
    sys.setswitchinterval(0.001)

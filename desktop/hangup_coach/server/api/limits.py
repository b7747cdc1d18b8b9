"""Requests per device: a token bucket per device in each server process, so one card (or a
script with its token) cannot take a server's capacity from the others. Past it: 429 with
Retry-After. (Several processes each keep their own buckets: the limit is per process.)"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable

RATE_ENV = "HANGUP_COACH_DEVICE_RATE"     # requests per second per device, for `--workers N` children
DEFAULT_RATE = 50.0                       # a card needs ~1 request/s; a lead's first pull pages fast
BURST_SECONDS = 4.0                       # a full bucket holds this many seconds' worth


class TooMany(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"too many requests from this device; try again in {math.ceil(wait)} s")
        self.message = str(self)
        self.wait = wait


class DeviceRate:
    def __init__(self, per_second: float = DEFAULT_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("the rate must be positive")
        self.rate, self.burst, self.clock = per_second, max(1.0, per_second * BURST_SECONDS), clock
        self._buckets: dict[str, tuple[float, float]] = {}      # device → (tokens, when)
        self._lock = threading.Lock()

    def take(self, device_id: str) -> None:
        """One request of `device_id`; TooMany (with the seconds to wait) past its rate."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(device_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < 1:
                self._buckets[device_id] = (tokens, now)
                raise TooMany((1 - tokens) / self.rate)
            self._buckets[device_id] = (tokens - 1, now)

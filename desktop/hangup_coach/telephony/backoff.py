"""Reconnect delays: doubling from `first` up to `cap`, back to `first` once a connection has held."""

from __future__ import annotations


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self._delay = first

    def next(self) -> float:
        delay = self._delay
        self._delay = min(delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._delay = self.first

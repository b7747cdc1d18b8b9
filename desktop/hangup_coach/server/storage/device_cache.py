"""Devices found by token, kept for a few seconds in each server process.

Without it every request costs a pooled connection and a query (plus its rollback) before any
work, more than half the database round trips of a push. With it a request within SECONDS of the
device's last one is authenticated without the database.

Revocation still holds: revoking in this process drops the entry at once; every write (a push)
checks in its own transaction that the device is still live (store.Storage.push), so a revoked
token writes nothing anywhere; a read served by another process may still answer the revoked
token for at most SECONDS. The row is kept, not the verdict: every check made on the row
(revoked, ...) is made again on each request.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

SECONDS = 5.0          # how long a device's row is trusted without asking the database again
MOST = 20_000          # entries kept (several tokens per agent of a 5,000-agent centre)


class DeviceCache:
    def __init__(self, seconds: float = SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._rows: dict[str, tuple[object, float]] = {}       # token hash → (device row, fetched at)
        self._lock = threading.Lock()

    def get(self, digest: str):
        """The device row of a token hash fetched within `seconds`, or None."""
        with self._lock:
            found = self._rows.get(digest)
            if found is None:
                return None
            row, fetched = found
            if self.clock() - fetched > self.seconds:
                del self._rows[digest]
                return None
            return row

    def put(self, digest: str, row) -> None:
        with self._lock:
            if len(self._rows) >= MOST:
                del self._rows[next(iter(self._rows))]     # the oldest fetched
            self._rows.pop(digest, None)
            self._rows[digest] = (row, self.clock())

    def drop(self, device_id: str) -> None:
        """Forget a device (revoked or changed here): its next request asks the database."""
        with self._lock:
            for digest in [d for d, (row, _) in self._rows.items() if row["id"] == device_id]:
                del self._rows[digest]

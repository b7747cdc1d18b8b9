"""Devices found by token, remembered by each server process for pushes, pulls and lookups.

A push, a pull and a ring-time lookup are the requests a card sends most, and looking the device
up cost a pooled connection, a thread-pool trip and a query (and its rollback) before any work:
about half the database round trips of a push. A request of a device this process looked up
within SECONDS skips that, and checks the device is still live in its own transaction: a push in
its stamp statement (store.Storage.push), a pull or a lookup with one statement on its reading
connection before its query (store.Storage.still_live). So a token revoked, replaced or expired by
any process is refused from its next such request on. Every other request asks the database
(store.Storage.authenticate), so it is refused at once too. The row is kept, not the verdict:
the checks made on the row (revoked, ...) are made again on each use.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

SECONDS = 60.0         # how long a row is kept (longer than a card's 10 s between syncs)
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

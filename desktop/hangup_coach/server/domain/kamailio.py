"""Keeping Kamailio's `blocked` htable in step with the active blocks, over its JSON-RPC (HTTP).

Why RPC and not Kamailio reading our database: the server's database may be PostgreSQL on another
host, its schema is ours to change, and Kamailio's htable DB loading replaces the whole table on
each reload. Over RPC a change takes effect on the very next INVITE, and each item carries its own
expiry, so a block ends on time even while the server is down. What RPC loses: Kamailio starts
empty. So every tick compares Kamailio's `up_since` with the last one seen and pushes the whole
list again after a restart (or after any failed call, or when this server process takes the
worker's lease over from another); otherwise only the difference. A whole push reads the table
first (`htable.dump`) and deletes what is no longer blocked, so a block lifted while another
process held the lease does not linger.

Each number is written under every caller-ID form a trunk may present (core/phone.caller_id_forms).
Value "1". A timed block is one `htable.setxs KEY "1" SECONDS`: value and expiry in a single step,
so no reader ever sees the key with another expiry. A permanent block has no single call (Kamailio
5.6's setxs takes 0 as "the table's autoexpire", a day): `htable.sets` then `htable.setex KEY 0`
(never). Between those two calls the key holds the day-long autoexpire; if the process dies there,
the next lease holder pushes the whole table again (`forget`) and writes it NEVER. A sync returns
only once every key it wrote is complete.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
from datetime import datetime
from urllib.parse import urlsplit

from ...core.phone import caller_id_forms

log = logging.getLogger("hangup_coach.server.kamailio")
TABLE = "blocked"


class KamailioError(OSError):
    pass


class KamailioSync:
    def __init__(self, url: str, timeout: float = 3.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the Kamailio RPC address must be http://host:port/RPC, got {url!r}")
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path or "/RPC"
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._pushed: dict[str, datetime | None] | None = None   # key → expiry, as Kamailio has it; None: unknown
        self._up_since: str | None = None

    def sync(self, active: dict[str, datetime | None], now: datetime) -> int:
        """Make the table hold exactly `active` (E.164 → expiry or None). Returns RPCs sent.
        Raises KamailioError when Kamailio cannot be reached; the next call starts over."""
        wanted = {key: expiry for number, expiry in active.items() for key in caller_id_forms(number)}
        try:
            up_since = self._call("core.uptime")["up_since"]
            if up_since != self._up_since:
                if self._up_since is not None:
                    log.warning("Kamailio restarted (up since %s): pushing the whole blocklist again", up_since)
                self._pushed, self._up_since = None, up_since
            sent = 0
            whole = self._pushed is None
            known = self._present() if whole else self._pushed
            for key, expiry in wanted.items():
                if whole or key not in known or known[key] != expiry:
                    sent += self._set(key, expiry, now)
            for key in set(known) - set(wanted):
                self._call("htable.delete", TABLE, key, missing_ok=True)
                sent += 1
            self._pushed = dict(wanted)
            return sent
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            self._pushed, self._up_since = None, None
            self.close()
            raise KamailioError(f"Kamailio RPC at {self.host}:{self.port}: {exc}") from exc

    def forget(self) -> None:
        """Kamailio may have changed behind our back (another process synced it): push it whole next."""
        self._pushed = None

    def _present(self) -> dict[str, None]:
        """The keys in Kamailio's table now (htable.dump groups them by hash slot)."""
        return {item["name"]: None for slot in self._call("htable.dump", TABLE) or [] for item in slot["slot"]}

    def _set(self, key: str, expiry: datetime | None, now: datetime) -> int:
        """Write one key with its expiry; returns the RPCs it took."""
        if expiry is None:
            self._call("htable.sets", TABLE, key, "1")      # sets gives it the table's autoexpire...
            self._call("htable.setex", TABLE, key, 0)       # ...which setex 0 turns into never
            return 2
        seconds = max(1, math.ceil((expiry - now).total_seconds()))
        self._call("htable.setxs", TABLE, key, "1", seconds)
        return 1

    def _call(self, method: str, *params, missing_ok: bool = False):
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
        for attempt in (1, 2):              # a kept-alive connection Kamailio closed: reconnect once
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request("POST", self.path, body, {"Content-Type": "application/json"})
                reply = json.loads(self._conn.getresponse().read())
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        if "error" in reply:
            if missing_ok and reply["error"].get("code") == 404:
                return None
            raise KamailioError(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

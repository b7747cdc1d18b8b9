"""Which one of the server's processes does a named piece of background work (issue 17).

`hangup-coach server --workers N` runs N processes over one database; background work that talks
to the outside (the blocklist's writes to Kamailio) must run in one of them only, or Kamailio gets
every write N times. A lease is a row per job: a process holds it while it renews it before its
`until`; a process that dies stops renewing and another takes it over once `until` has passed.
One conditional UPDATE takes or renews it, atomic on SQLite and PostgreSQL alike (no session-bound
lock that a pooled connection could lose).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import Column, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from .engine import iso
from .schema import metadata

leases = Table(
    "leases", metadata,
    Column("name", String(64), primary_key=True),      # the job, e.g. "blocklist"
    Column("holder", String(128), nullable=False),     # host:pid:random of the process holding it; "" none
    Column("until", String(40), nullable=False),       # canonical UTC text; free after this
)


class Lease:
    def __init__(self, storage, name: str, ttl: timedelta) -> None:
        self.storage, self.name, self.ttl = storage, name, ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def hold(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = self.storage.clock()
        mine = {"holder": self.holder, "until": iso(now + self.ttl)}
        with self.storage.write(advisory_lock=False) as conn:
            if conn.execute(update(leases).where(
                    leases.c.name == self.name,
                    (leases.c.holder == self.holder) | (leases.c.holder == "") | (leases.c.until <= iso(now)))
                    .values(**mine)).rowcount:
                return True
            if conn.execute(select(leases.c.name).where(leases.c.name == self.name)).first() is not None:
                return False                                   # another process holds it
        try:                                                   # the job's first run: make its row
            with self.storage.write(advisory_lock=False) as conn:
                conn.execute(insert(leases).values(name=self.name, **mine))
            return True
        except IntegrityError:                                 # another process made it first
            return False

    def release(self) -> None:
        """Give the lease up (on a clean stop), so another process takes it over at once."""
        with self.storage.write(advisory_lock=False) as conn:
            conn.execute(update(leases).where(leases.c.name == self.name, leases.c.holder == self.holder)
                         .values(holder=""))

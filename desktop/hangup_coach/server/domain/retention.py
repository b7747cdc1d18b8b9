"""The retention window of the cards' raw evidence (issue 16; docs/server.md "Retention").

Calls older than the window (default 90 days, `hangup-coach server --evidence-days N`) by both
their start and the server's receipt, and the notes received before it on calls that go too (or
went), are moved to
`records_archive` (storage/archive.py) by background work (domain/jobs.py), a batch per
transaction. Nothing is deleted: a row leaves `records` only in the transaction that writes it to
the archive, and the archive keeps the highest version of a record. So a card that never saw its
push acknowledged and sends the same version again after the move loses nothing: the push stores
it in `records` again, acknowledged as usual, and the next run drops that copy (the archive has
that version); a newer version stays until it is old itself, then replaces the archived one. The agent feed reads 30 days (wire.PROFILE_DAYS), far inside the
window; reports read both tables.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from sqlalchemy import and_, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..storage import Storage, iso
from ..storage.archive import records_archive
from ..storage.schema import records
from .jobs import Job

log = logging.getLogger(__name__)

DEFAULT_DAYS = 90
BATCH = 1000              # rows moved per transaction: a push never waits long behind one
KINDS = ("call", "note")  # raw evidence; QA reviews and block proposals are the server's business
_COLUMNS = [c.name for c in records.c]


class Retention:
    def __init__(self, storage: Storage, days: float = DEFAULT_DAYS, batch: int = BATCH) -> None:
        if days <= 0:
            raise ValueError("the evidence retention must be a positive number of days")
        self.storage, self.days, self.batch = storage, days, batch

    def run(self, still_mine: Callable[[], bool] = lambda: True) -> str:
        """Move everything past the window, a batch at a time while `still_mine()` (jobs.py: the
        lease is renewed); a summary for the log."""
        moved = 0
        while True:
            step = self.move_batch()
            moved += step
            if step < self.batch or not still_mine():
                return f"{moved} record(s) older than {self.days:g} days moved to records_archive"

    def job(self, every: float = 3600.0) -> Job:
        return Job("evidence-retention", every, self.run)

    def move_batch(self) -> int:
        """At most `batch` rows past the window moved, in one transaction; how many."""
        now = self.storage.clock()
        cutoff = iso(now - timedelta(days=self.days))
        old_call = and_(records.c.kind == "call", records.c.started_at < cutoff, records.c.received_at < cutoff)
        kept_calls = select(records.c.id).where(records.c.kind == "call", ~old_call).scalar_subquery()
        old_note = and_(records.c.kind == "note", records.c.received_at < cutoff,   # its call goes too, or went
                        records.c.call_id.not_in(kept_calls))
        kept_already = select(records_archive.c.id).where(          # sent again after the move: a copy
            records_archive.c.kind == records.c.kind, records_archive.c.id == records.c.id,
            records_archive.c.version >= records.c.version).exists()
        query = select(records).where(old_call | old_note | (records.c.kind.in_(KINDS) & kept_already)) \
            .order_by(records.c.received_at).limit(self.batch)
        if self.storage.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)   # a push writing a row now: its turn next run
        with self.storage.write(advisory_lock=False) as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
            if not rows:
                return 0
            insert = pg_insert if self.storage.dialect == "postgresql" else sqlite_insert
            for row in rows:
                values = dict(row, archived_at=iso(now))
                statement = insert(records_archive).values(**values)
                conn.execute(statement.on_conflict_do_update(
                    index_elements=["kind", "id"], set_={c: statement.excluded[c] for c in values},
                    where=statement.excluded.version > records_archive.c.version))
                conn.execute(records.delete().where(records.c.kind == row["kind"], records.c.id == row["id"],
                                                    records.c.version == row["version"]))
        return len(rows)


def calls_between(columns, start: str, end: str):
    """The call rows started in [start, end) from `records` and the archive (each call once), as
    one subquery with `columns` (names of records' columns), for reports that reach past the window."""
    current, archived = (select(*[table.c[c] for c in columns]).where(
        table.c.kind == "call", table.c.started_at >= start, table.c.started_at < end)
        for table in (records, records_archive))
    sent_again = select(records.c.id).where(records.c.kind == "call", records.c.id == records_archive.c.id)
    return union_all(current, archived.where(~sent_again.exists())).subquery()

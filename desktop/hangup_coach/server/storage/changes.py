"""Change stamps and the cursors that follow them, without one lock that every writer queues on.

Every change to a row that cards pull (records, cases, blocks, domain rows, audit rows) is stamped
with two numbers: `tx`, the writing transaction's id, and `seq`, a unique number taken in it. A
cursor is the (tx, seq) of the last row a reader was given; it reads the rows after it in (tx, seq)
order.

PostgreSQL: `tx` is `pg_current_xact_id()` (xid8, never wraps) and `seq` comes from the sequence
`change_seq` (no row lock: concurrent writers do not wait for each other). Transactions commit in
any order, so a reader only takes rows whose transaction is older than the *horizon*, the xmin of
its statement's own snapshot: every transaction below it has ended (committed rows are visible in
that snapshot, rolled-back ones are gone) and every transaction that has not yet written gets a
larger id. So no row can later appear behind a cursor. The cost: a long transaction holds the
horizon back, and readers see nothing newer until it ends (they wait; they never skip).

SQLite has one writer at a time (BEGIN IMMEDIATE): `tx` is 0 and `seq` comes from the `counters`
row, taken under that write lock, so commit order is seq order.

Rows written before this scheme (revision 0006) have tx 0 and sort first; an old cursor "123" is
(0, 123), the same position.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, func, literal_column, select, tuple_, update
from sqlalchemy.engine import Connection

from ... import wire
from .schema import counters

SEQUENCE = "change_seq"
# The statement snapshot's xmin (PostgreSQL): every transaction below it has ended.
HORIZON = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", BigInteger)
CURRENT_TX = "pg_current_xact_id()::text::bigint"   # the writing transaction's id (xid8 as bigint)


@dataclass(frozen=True, order=True)
class Cursor:
    tx: int = 0
    seq: int = 0


START = Cursor()


def parse(value: str | None) -> Cursor:
    """A `since` parameter (wire.BadParameter if it is not a cursor this server gave out)."""
    return Cursor(*wire.parse_cursor(value))


def as_text(cursor: Cursor) -> str:
    return wire.make_cursor(cursor.tx, cursor.seq)


@dataclass(frozen=True)
class Stamp:
    """The change stamps of one write transaction: its tx and `count` fresh seqs."""
    tx: int
    seqs: list[int]


def stamp(conn: Connection, dialect: str, count: int, only_if=None) -> Stamp | None:
    """`count` change stamps in `conn`'s write transaction; None (and no stamps) if the SQL condition
    `only_if` does not hold (on PostgreSQL asked in the same statement: no extra round trip)."""
    if dialect == "postgresql" and count:
        query = (select(literal_column(CURRENT_TX, BigInteger), func.nextval(SEQUENCE))
                 .select_from(func.generate_series(1, count)))
        rows = conn.execute(query if only_if is None else query.where(only_if)).all()
        return Stamp(rows[0][0], [seq for _, seq in rows]) if rows else None
    if only_if is not None and not conn.execute(select(only_if)).scalar():
        return None
    if count == 0:
        return Stamp(0, [])
    last = conn.execute(update(counters).where(counters.c.name == "seq")
                        .values(value=counters.c.value + count).returning(counters.c.value)).scalar_one()
    return Stamp(0, list(range(last - count + 1, last + 1)))


def after(table, cursor: Cursor, dialect: str) -> list:
    """WHERE clauses: `table`'s rows after `cursor` that no later commit can come before."""
    clauses = [tuple_(table.c.tx, table.c.seq) > tuple_(cursor.tx, cursor.seq)]
    if dialect == "postgresql":
        clauses.append(table.c.tx < HORIZON)
    return clauses


def order(table) -> tuple:
    return table.c.tx, table.c.seq


def last(rows, since: Cursor) -> str:
    """The cursor after `rows` (each with tx and seq), or `since` when there are none, as text."""
    return as_text(Cursor(rows[-1]["tx"], rows[-1]["seq"]) if rows else since)

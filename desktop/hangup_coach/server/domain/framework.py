"""Server-owned domain tables and the commands that change them (docs/server.md, "Adding a domain").

Records that people act on together (block decisions, QA batches, ...) live in tables of the
server's own, one per kind, each row with a version. They change only by commands: a command
names the version it was decided on, and runs only if that is still the stored one (else 409
with both: the stored record and what was asked), checked by the permission module against the
row's place, in one transaction with its audit row (before/after) and a new change seq (so
cursors over the kind see it).

A domain module declares a `DomainKind` (its table from `domain_table`, who may read it, its
create and its commands) and is listed in domain/__init__.py; the API serves every listed kind:

    POST /v1/<kind>                       create; body {"id"?: ..., fields...}          → 201
    GET  /v1/<kind>?since=&limit=         the rows in the reader's reach changed after a cursor
    GET  /v1/<kind>/<id>                  one row
    POST /v1/<kind>/<id>/<command>        body {"expected_version": n, fields...}        → 200 | 409
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ... import wire
from .. import permissions
from ..permissions import Place
from ..storage import Device, Storage
from ..storage import audit as audit_log
from ..storage import changes as stamps
from ..storage.engine import iso, reach_clause
from ..storage.schema import metadata

STANDARD = ("id", "version", "seq", "tx", "agent_id", "team", "site", "created_at", "created_by", "updated_at",
            "updated_by")
PLACE = ("agent_id", "team", "site")
MAX_BODY_BYTES = 100_000          # one command's body


def domain_table(name: str, *columns: Column, on: MetaData = metadata) -> Table:
    """A domain table on the server's metadata: the standard columns, then the kind's own. Its
    Alembic revision (migrations/versions/) creates the same columns (a test compares them)."""
    return Table(
        name, on,
        Column("id", String(64), primary_key=True),
        Column("version", BigInteger, nullable=False),        # 1 when created, +1 per command
        Column("seq", BigInteger, nullable=False, unique=True),   # change stamp, for cursors (changes.py)
        Column("tx", BigInteger, nullable=False, server_default="0"),
        Column("agent_id", String(64)),                       # whose it is (None: nobody's own)
        Column("team", String(64)),                           # where it belongs (None: no one team's)
        Column("site", String(64)),                           # (None: the whole centre's)
        Column("created_at", String(40), nullable=False),     # server clock
        Column("created_by", String(64), nullable=False),     # device id
        Column("updated_at", String(40), nullable=False),
        Column("updated_by", String(64), nullable=False),
        *columns,
    )


class CommandError(Exception):
    """The command cannot run: 422 (bad body) unless another status is given (e.g. 409 for a
    state that does not allow it: approving a rejected proposal)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Stale(Exception):
    """409: the record's stored version is not the one the command was decided on."""

    def __init__(self, current: dict, yours: dict) -> None:
        super().__init__(f"{current.get('id')} is at version {current.get('version')}, "
                         f"not {yours.get('expected_version')}: look again and decide on the current one")
        self.message = str(self)
        self.current = current
        self.yours = yours


class NotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Context:
    """What a command's `apply` may use: the acting device, the server's time, the transaction
    (for the kind's own checks, e.g. "is this number already blocked")."""
    device: Device
    now: str
    conn: Connection
    storage: Storage


# apply(context, current row (None when creating), body without expected_version) → the new values
# of the kind's own columns (on create also agent_id/team/site, default: the device's place).
Apply = Callable[[Context, "dict | None", dict], dict]


@dataclass(frozen=True)
class Command:
    action: str           # a permission action (permissions.define), checked against the row's place
    apply: Apply


@dataclass(frozen=True)
class DomainKind:
    name: str                                  # URL segment and audit kind, e.g. "blocks"
    table: Table
    read: str                                  # the permission action to read its rows
    create: Command | None = None
    commands: dict[str, Command] = field(default_factory=dict)


def public(row) -> dict:
    """A row as the API shows it (without its change stamp, which only cursors use)."""
    return {k: v for k, v in dict(row).items() if k not in ("seq", "tx")}


def place_of(row) -> Place:
    return Place(row["agent_id"], row["team"], row["site"])


def create(storage: Storage, device: Device, kind: DomainKind, body: Any) -> dict:
    if kind.create is None:
        raise NotFound(f"{kind.name} are not created over the API")
    body = _object(body)
    record_id = body.pop("id", None) or str(uuid.uuid4())
    if wire.ident()(record_id):
        raise CommandError("id must be an id (a UUID)")
    now = iso(storage.clock())
    with storage.write(advisory_lock=False) as conn:
        stamp = storage.stamp(conn, 1)
        _refuse_existing(conn, kind, record_id, body)
        values = kind.create.apply(Context(device, now, conn, storage), None, body)
        row = {**dict(zip(PLACE, (device.agent_id, device.team, device.site))), **values}
        place = place_of(row)
        permissions.check(device, kind.create.action, place, f"{kind.name} {record_id}")
        row.update(id=record_id, version=1, seq=stamp.seqs[0], tx=stamp.tx, created_at=now, created_by=device.id,
                   updated_at=now, updated_by=device.id)
        # Creates of one id at once (no lock serialises them): the later one waits for the first's
        # commit at the key, inserts nothing, and is answered as stale.
        insert = (postgresql.insert if storage.dialect == "postgresql" else sqlite.insert)(kind.table)
        made = insert.values(row).on_conflict_do_nothing(index_elements=["id"]).returning(kind.table.c.id)
        if conn.execute(made).first() is None:
            _refuse_existing(conn, kind, record_id, body)
        audit_log.append(conn, device, kind.create.action, kind.name, record_id, place, None, public(row), at=now)
    return public(row)


def run(storage: Storage, device: Device, kind: DomainKind, record_id: str, name: str, body: Any) -> dict:
    command = kind.commands.get(name)
    if command is None:
        raise NotFound(f"{kind.name} have no command {name!r} (they have: {', '.join(sorted(kind.commands))})")
    body = _object(body)
    expected = body.pop("expected_version", None)
    if isinstance(expected, bool) or not isinstance(expected, int) or not 1 <= expected <= wire.MAX_VERSION:
        raise CommandError("expected_version must be the version the decision was made on (an integer ≥ 1)")
    now = iso(storage.clock())
    table = kind.table
    with storage.write(advisory_lock=False) as conn:
        stamp = storage.stamp(conn, 1)
        query = select(table).where(table.c.id == record_id)
        if storage.dialect == "postgresql":
            query = query.with_for_update()
        current = conn.execute(query).mappings().first()
        if current is None:
            raise NotFound(f"no {kind.name} {record_id}")
        place = place_of(current)
        permissions.check(device, command.action, place, f"{kind.name} {record_id}")
        if current["version"] != expected:
            raise Stale(public(current), dict(body, command=name, expected_version=expected))
        values = command.apply(Context(device, now, conn, storage), public(current), body)
        wrong = set(values) & set(STANDARD)
        if wrong:
            raise ValueError(f"{kind.name}.{name} may not set {', '.join(sorted(wrong))}")
        row = {**dict(current), **values, "version": expected + 1, "seq": stamp.seqs[0], "tx": stamp.tx,
               "updated_at": now,
               "updated_by": device.id}
        conn.execute(update(table).where(table.c.id == record_id, table.c.version == expected)
                     .values({k: v for k, v in row.items() if k != "id"}))
        audit_log.append(conn, device, command.action, kind.name, record_id, place, public(current), public(row),
                         at=now)
    return public(row)


def _refuse_existing(conn: Connection, kind: DomainKind, record_id: str, body: dict) -> None:
    existing = conn.execute(select(kind.table).where(kind.table.c.id == record_id)).mappings().first()
    if existing is not None:
        raise Stale(public(existing), dict(body, id=record_id, expected_version=None))


def get(storage: Storage, device: Device, kind: DomainKind, record_id: str) -> dict:
    with storage.engine.connect() as conn:
        row = conn.execute(select(kind.table).where(kind.table.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFound(f"no {kind.name} {record_id}")
    permissions.check(device, kind.read, place_of(row), f"{kind.name} {record_id}")
    return public(row)


def changes(storage: Storage, device: Device, kind: DomainKind, since: stamps.Cursor, limit: int) -> dict:
    """The rows in the reader's reach changed after `since`, in change order (a row appears once,
    at its last change). The cursor is the change stamp of the last row."""
    reach = permissions.reach(device, kind.read)
    table = kind.table
    query = select(table).where(*storage.after(table, since)).order_by(*stamps.order(table)).limit(limit + 1)
    for column, value in reach.filters.items():
        query = query.where(reach_clause(table.c[column], value))
    with storage.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    more, rows = len(rows) > limit, rows[:limit]
    return {kind.name: [public(r) for r in rows], "cursor": stamps.last(rows, since), "more": more}


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise CommandError("the body must be a JSON object")
    return dict(body)

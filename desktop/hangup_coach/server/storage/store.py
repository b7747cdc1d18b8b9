"""The server's records, devices and cases: the queries behind the API.

Each change gets a value of one counter, `seq`, taken by the push transaction's first statement,
which also locks the counter until the commit (SQLite: the BEGIN IMMEDIATE write lock;
PostgreSQL: the counter row's lock; every other push waits there). So commit order is seq order,
and a pull that reads "seq > cursor" never passes over a row that commits later with a smaller seq.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import BigInteger, String, Text, bindparam, func, literal, select, union_all, update
from sqlalchemy.engine import Connection

from ... import wire
from .engine import WriteTransaction, engine_for, iso, utc_now
from .blocklist_tables import block_entry, blocks
from .schema import MIGRATIONS, SCHEMA_VERSION, cases, counters, devices, records, schema_migrations

class SchemaTooNew(RuntimeError):
    """A newer server has migrated this database; this one would misread it."""


class AuthError(Exception):
    """401 (no, unknown or revoked token) or 403 (role or ownership); `status` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Device:
    id: str
    agent_id: str
    role: str
    team: str
    created_at: str
    revoked_at: str | None = None

    def public(self) -> dict:
        return {"device_id": self.id, "agent_id": self.agent_id, "role": self.role, "team": self.team,
                "created_at": self.created_at, "revoked_at": self.revoked_at}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()



class Storage:
    def __init__(self, database: str, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine_for(database)
        self.dialect = "postgresql" if self.engine.dialect.name == "postgresql" else "sqlite"
        self.clock = clock
        # SQLite: this process's writers queue here rather than in SQLite's busy handler, which
        # polls with sleeps (unfair, and idle while the lock is free). Other processes still wait
        # in busy_timeout. PostgreSQL queues waiters on its locks itself.
        self.sqlite_writers = threading.Lock() if self.dialect == "sqlite" else None
        # fn(conn, device, records, now) run inside each push's transaction (the blocklist makes a
        # block of each new proposal there: one transaction, all or nothing)
        self.push_hooks: list[Callable] = []

    def close(self) -> None:
        self.engine.dispose()

    # ----- transactions -------------------------------------------------------------------------------
    def _write(self, advisory_lock: bool = True):
        """A transaction holding the database's write lock until it ends (on PostgreSQL an
        advisory lock, unless the transaction locks a row of its own first, as a push does)."""
        return WriteTransaction(self, advisory_lock)

    def migrate(self) -> int:
        with self._write() as conn:
            done = set()
            if self.engine.dialect.has_table(conn, "schema_migrations"):
                done = {r.version for r in conn.execute(select(schema_migrations.c.version))}
            else:
                schema_migrations.create(conn)
            if done and max(done) > SCHEMA_VERSION:
                raise SchemaTooNew(f"the database's schema ({max(done)}) is newer than this server's "
                                   f"({SCHEMA_VERSION}): run the newer server")
            for version, name, apply in MIGRATIONS:
                if version not in done:
                    apply(conn)
                    conn.execute(schema_migrations.insert().values(
                        version=version, name=name, applied_at=iso(self.clock())))
        return self.schema_version()

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(schema_migrations.c.version))).scalar() or 0

    # ----- devices --------------------------------------------------------------------------------------
    def add_device(self, agent_id: str, role: str, team: str | None = None) -> tuple[Device, str]:
        """A new device and its token (shown once; only its hash is kept)."""
        if role not in wire.ROLES:
            raise ValueError(f"role must be one of {', '.join(wire.ROLES)}")
        if wire.text(64, empty=False)(agent_id):
            raise ValueError("agent id must be 1-64 characters")
        team = team or wire.DEFAULT_TEAM
        if wire.text(64, empty=False)(team):
            raise ValueError("team must be 1-64 characters")
        token = secrets.token_urlsafe(32)
        device = Device(str(uuid.uuid4()), agent_id, role, team, iso(self.clock()))
        with self._write() as conn:
            conn.execute(devices.insert().values(
                id=device.id, agent_id=agent_id, role=role, team=team, token_hash=token_hash(token),
                created_at=device.created_at))
        return device, token

    def revoke_device(self, device_id: str) -> Device | None:
        with self._write() as conn:
            conn.execute(update(devices).where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
                         .values(revoked_at=iso(self.clock())))
            row = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        return _device(row) if row else None

    def list_devices(self) -> list[Device]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(devices).order_by(devices.c.created_at, devices.c.id)).mappings()
            return [_device(r) for r in rows]

    def authenticate(self, token: str | None) -> Device:
        if not token:
            raise AuthError(401, "missing bearer token")
        digest = token_hash(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(devices).where(devices.c.token_hash == digest)).mappings().first()
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            raise AuthError(401, "unknown token")
        if row["revoked_at"] is not None:
            raise AuthError(401, "this device's token was revoked")
        return _device(row)

    # ----- push -----------------------------------------------------------------------------------------
    def push(self, device: Device, batch: wire.Push) -> tuple[list[dict], str]:
        """Store a validated batch, all or nothing; the acknowledgements and the server time."""
        if batch.device_id != device.id:
            raise AuthError(403, "device_id is not the device this token belongs to")
        for index, record in enumerate(batch.records):
            if record.owner is not None and record.owner != device.agent_id:
                raise AuthError(403, f"record {index}: agent {device.agent_id} may not push agent "
                                     f"{record.owner}'s {record.kind}")
            if record.kind == "qa_review" and device.role not in ("lead", "qa"):
                raise AuthError(403, f"record {index}: only a lead or qa device reviews calls")
        now = iso(self.clock())
        with self._write(advisory_lock=False) as conn:
            # First statement: lock the counter and take one seq per record of the batch (those of
            # unchanged records go unused: a cursor needs order, not consecutive numbers).
            last = conn.execute(update(counters).where(counters.c.name == "seq")
                                .values(value=counters.c.value + len(batch.records))
                                .returning(counters.c.value)).scalar_one()
            first_seq = last - len(batch.records) + 1
            stored = self._stored(conn, batch.records)
            calls_in_batch = {r.id for r in batch.records if r.kind == "call"}
            owners = self._call_owners(conn, {r.call_id for r in batch.records
                                              if r.on_own_call and r.call_id not in calls_in_batch})
            inserts, updates = [], []
            for index, record in enumerate(batch.records):
                old = stored.get((record.kind, record.id))
                if old is not None and old["agent_id"] != device.agent_id:
                    raise AuthError(403, f"record {index}: {record.kind} {record.id} belongs to another agent")
                owner = owners.get(record.call_id) if record.on_own_call else None
                if owner is not None and owner != device.agent_id:
                    raise AuthError(403, f"record {index}: call {record.call_id} belongs to another agent")
                if old is not None and record.version <= old["version"]:
                    continue                                   # already stored: acknowledged again
                (updates if old is not None else inserts).append(dict(
                    kind=record.kind, id=record.id, version=record.version, seq=first_seq + index,
                    agent_id=device.agent_id, team=device.team, device_id=device.id, received_at=now,
                    number=record.number, started_at=record.started_at, call_id=record.call_id,
                    data=json.dumps(record.data, ensure_ascii=False, separators=(",", ":"))))
            if inserts:
                conn.execute(records.insert(), inserts)
            if updates:
                conn.execute(_UPDATE_RECORD, [dict(v, b_kind=v["kind"], b_id=v["id"]) for v in updates])
            for hook in self.push_hooks:
                hook(conn, device, batch.records, self.clock())
        acked = [{"kind": r.kind, "id": r.id, "version": r.version} for r in batch.records]
        return acked, now

    # ----- the centre's cases ------------------------------------------------------------------------
    def put_cases(self, given: list, updated_by: str) -> int:
        """Store validated case facts (cases.Case) all or nothing; how many numbers changed. Each
        change takes a seq under the counter's lock, as a push does, so the next pull brings it."""
        if not given:
            return 0
        now = iso(self.clock())
        with self._write(advisory_lock=False) as conn:
            last = conn.execute(update(counters).where(counters.c.name == "seq")
                                .values(value=counters.c.value + len(given))
                                .returning(counters.c.value)).scalar_one()
            first_seq = last - len(given) + 1
            stored = {}
            numbers = [c.number for c in given]
            for i in range(0, len(numbers), 500):
                rows = conn.execute(select(cases).where(cases.c.number.in_(numbers[i:i + 500]))).mappings()
                stored.update({r["number"]: r for r in rows})
            inserts, updates = [], []
            for index, case in enumerate(given):
                row = dict(number=case.number, case_id=case.case_id, closed_at=case.closed_at,
                           branch_only=int(case.branch_only), seq=first_seq + index, updated_at=now,
                           updated_by=updated_by)
                old = stored.get(case.number)
                if old is None:
                    inserts.append(row)
                elif (old["case_id"], old["closed_at"], old["branch_only"]) != (row["case_id"], row["closed_at"],
                                                                                row["branch_only"]):
                    updates.append(dict(row, b_number=case.number))
            if inserts:
                conn.execute(cases.insert(), inserts)
            if updates:
                conn.execute(_UPDATE_CASE, updates)
        return len(inserts) + len(updates)

    def _stored(self, conn: Connection, batch) -> dict:
        found = {}
        for kind in {r.kind for r in batch}:
            ids = [r.id for r in batch if r.kind == kind]
            rows = conn.execute(select(records.c.kind, records.c.id, records.c.version, records.c.agent_id)
                                .where(records.c.kind == kind, records.c.id.in_(ids))).mappings()
            found.update({(r["kind"], r["id"]): r for r in rows})
        return found

    def _call_owners(self, conn: Connection, call_ids: set) -> dict:
        if not call_ids:
            return {}
        rows = conn.execute(select(records.c.id, records.c.agent_id)
                            .where(records.c.kind == "call", records.c.id.in_(sorted(call_ids))))
        return {r.id: r.agent_id for r in rows}

    # ----- pull -----------------------------------------------------------------------------------------
    def changes(self, since: int, limit: int) -> dict:
        """Caller profiles touched and blocks changed after `since`, in seq order."""
        # One statement, so one snapshot on PostgreSQL: two would let a case committed between them
        # pass the cursor over a call with a smaller seq (or the other way round).
        touched = select(records.c.kind, records.c.id, records.c.version, records.c.seq, records.c.number,
                         records.c.agent_id, records.c.received_at, records.c.data) \
            .where(records.c.seq > since, records.c.kind == "call")
        case_changes = select(literal("case", String).label("kind"), cases.c.number.label("id"),
                              literal(0, BigInteger).label("version"), cases.c.seq, cases.c.number,
                              literal("", String).label("agent_id"), cases.c.updated_at.label("received_at"),
                              literal("{}", Text).label("data")).where(cases.c.seq > since)
        block_changes = select(literal("block", String).label("kind"), blocks.c.id,
                               blocks.c.version, blocks.c.seq, blocks.c.number,
                               blocks.c.proposed_by.label("agent_id"), blocks.c.updated_at.label("received_at"),
                               literal("{}", Text).label("data")).where(blocks.c.seq > since)
        both = union_all(touched, case_changes, block_changes).subquery()
        with self.engine.connect() as conn:
            rows = conn.execute(select(both).order_by(both.c.seq).limit(limit + 1)).mappings().all()
            more, rows = len(rows) > limit, rows[:limit]
            numbers = list(dict.fromkeys(r["number"] for r in rows if r["kind"] in ("call", "case") and r["number"]))
            profiles = [self._profile(conn, n) for n in numbers]
            ids = [r["id"] for r in rows if r["kind"] == "block"]
            blocklist = [block_entry(b) for b in conn.execute(select(blocks).where(blocks.c.id.in_(ids))
                                                              .order_by(blocks.c.seq)).mappings()] if ids else []
        cursor = rows[-1]["seq"] if rows else since
        return {"profiles": [p for p in profiles if p], "blocklist": blocklist,
                "cursor": wire.make_cursor(cursor), "more": more}

    def profile(self, number: str) -> dict | None:
        with self.engine.connect() as conn:
            return self._profile(conn, number)

    def _profile(self, conn: Connection, number: str) -> dict | None:
        updated = conn.execute(select(func.max(records.c.received_at))
                               .where(records.c.kind == "call", records.c.number == number)).scalar()
        case = conn.execute(select(cases).where(cases.c.number == number)).mappings().first()
        if updated is None and case is None:
            return None
        if case is not None:
            updated = max(filter(None, (updated, case["updated_at"])))
        since = iso(self.clock() - timedelta(days=wire.PROFILE_DAYS))
        rows = conn.execute(
            select(records.c.id, records.c.data)
            .where(records.c.kind == "call", records.c.number == number, records.c.started_at >= since)
            .order_by(records.c.started_at.desc(), records.c.id).limit(wire.PROFILE_EVIDENCE)).mappings()
        evidence = []
        for r in rows:
            data = json.loads(r["data"])
            row = {name: data.get(name) for name in wire.EVIDENCE_FIELDS}
            row.update(call_id=r["id"], sub_reason=data.get("sub_reason", ""),
                       class_source=data.get("class_source", "auto"), warnings=data.get("warnings", 0),
                       explanations=data.get("explanations", 0))
            evidence.append(row)
        return {"number": number, "updated_at": updated,
                "case_id": case["case_id"] if case else None, "case_closed_at": case["closed_at"] if case else None,
                "branch_only": bool(case and case["branch_only"]), "evidence": evidence}

    def team_changes(self, team: str, since: int, limit: int) -> dict:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(records.c.kind, records.c.id, records.c.version, records.c.seq, records.c.agent_id,
                       records.c.received_at, records.c.data)
                .where(records.c.team == team, records.c.seq > since, records.c.kind.in_(("call", "note")))
                .order_by(records.c.seq).limit(limit + 1)).mappings().all()
        more, rows = len(rows) > limit, rows[:limit]
        calls, notes = [], []
        for r in rows:
            row = dict(json.loads(r["data"]), id=r["id"], version=r["version"], received_at=r["received_at"])
            if r["kind"] == "note":
                notes.append(row)
            else:
                calls.append(row)
        cursor = rows[-1]["seq"] if rows else since
        return {"calls": calls, "notes": notes, "cursor": wire.make_cursor(cursor), "more": more}


_UPDATE_RECORD = (update(records).where(records.c.kind == bindparam("b_kind"), records.c.id == bindparam("b_id"))
                  .values({c: bindparam(c) for c in ("version", "seq", "agent_id", "team", "device_id",
                                                      "received_at", "number", "started_at", "call_id", "data")}))
_UPDATE_CASE = (update(cases).where(cases.c.number == bindparam("b_number"))
                .values({c: bindparam(c) for c in ("case_id", "closed_at", "branch_only", "seq", "updated_at",
                                                    "updated_by")}))


def _device(row) -> Device:
    return Device(row["id"], row["agent_id"], row["role"], row["team"], row["created_at"], row["revoked_at"])


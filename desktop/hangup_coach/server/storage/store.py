"""The server's records, devices and cases: the queries behind the API.

Each change gets a change stamp (changes.py): on PostgreSQL pushes do not wait for each other,
and pulls still never pass over a row that commits later.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import String, bindparam, exists, func, literal, select, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from ... import wire
from .. import migrations, permissions
from ..permissions import Place
from . import audit
from . import changes as stamps
from . import tokens
from .blocklist_tables import block_entry, blocks
from .device_cache import DeviceCache
from .engine import WriteTransaction, engine_for, iso, reach_clause, utc_now
from .schema import audit as audit_table
from .schema import cases, devices, records
from .tokens import AuthError, token_hash

SchemaTooNew = migrations.SchemaTooNew


@dataclass(frozen=True)
class Device:
    id: str
    agent_id: str
    role: str
    team: str
    site: str
    created_at: str
    revoked_at: str | None = None
    covers: tuple[str, ...] = ()          # a qa device's further teams of its site, or ("*",): permissions
    # the sha256 of the token it came with (authenticate), for a push to check it in its transaction
    token_digest: str | None = field(default=None, compare=False, repr=False)

    def public(self) -> dict:
        return {"device_id": self.id, "agent_id": self.agent_id, "role": self.role, "team": self.team,
                "site": self.site, "created_at": self.created_at, "revoked_at": self.revoked_at,
                "covers": list(self.covers)}

    @property
    def place(self) -> Place:
        return Place.of(self)


class Storage:
    def __init__(self, database: str, clock: Callable[[], datetime] = utc_now, **pool) -> None:
        self.engine = engine_for(database, **pool)      # pool: engine_for's sizes and timeouts
        self.dialect = "postgresql" if self.engine.dialect.name == "postgresql" else "sqlite"
        self.clock = clock
        # SQLite: this process's writers queue here rather than in SQLite's busy handler, which
        # polls with sleeps (unfair, and idle while the lock is free). Other processes still wait
        # in busy_timeout. PostgreSQL queues waiters on its locks itself.
        self.sqlite_writers = threading.Lock() if self.dialect == "sqlite" else None
        # fn(conn, device, records, now) run inside each push's transaction (the blocklist makes a
        # block of each new proposal there: one transaction, all or nothing)
        self.push_hooks: list[Callable] = []
        self.device_rows = DeviceCache()                # devices by token hash, for a few seconds

    def close(self) -> None:
        self.engine.dispose()

    # ----- transactions -------------------------------------------------------------------------------
    def write(self, advisory_lock: bool = True) -> WriteTransaction:
        """A write transaction (engine.WriteTransaction); domain commands run their changes in one."""
        return WriteTransaction(self, advisory_lock)

    def stamp(self, conn: Connection, count: int) -> stamps.Stamp:
        """`count` change stamps in `conn`'s write transaction (changes.py)."""
        return stamps.stamp(conn, self.dialect, count)

    def after(self, table, cursor: stamps.Cursor) -> list:
        """WHERE clauses: `table`'s rows after `cursor` that no later commit can come before."""
        return stamps.after(table, cursor, self.dialect)

    def migrate(self) -> str:
        """Bring the database's schema up to this server's (Alembic); its revision(s) now."""
        with self.write() as conn:
            migrations.upgrade(conn)
        return self.schema_version()

    def schema_version(self) -> str:
        with self.engine.connect() as conn:
            return ",".join(migrations.current(conn))

    # ----- devices --------------------------------------------------------------------------------------
    def add_device(self, agent_id: str, role: str, team: str | None = None, site: str | None = None,
                   by: Device | None = None, covers: tuple[str, ...] = (), expires_days: float | None = None
                   ) -> tuple[Device, str]:
        """A new device and its token (shown once; only its hash is kept). `by`: the admin's device
        (None: the server's command line), for the audit. `covers`: a qa device's further teams of
        its site, or ("*",) for all of them (its QA scope). `expires_days`: the token's lifetime
        (None: it never expires; tokens.py)."""
        if role not in permissions.ROLES:
            raise ValueError(f"role must be one of {', '.join(permissions.ROLES)}")
        team, site = team or permissions.DEFAULT_TEAM, site or permissions.DEFAULT_SITE
        covers = tuple(dict.fromkeys(t for t in covers if t != team))
        for name, value in (("agent id", agent_id), ("team", team), ("site", site),
                            *(("a covered team", t) for t in covers)):
            if wire.text(64, empty=False)(value) or "," in value:
                raise ValueError(f"{name} must be 1-64 characters without a comma")
        if covers and role != "qa":
            raise ValueError("only a qa device looks after more teams than its own")
        if permissions.EVERY_TEAM in covers and len(covers) > 1:
            raise ValueError(f"covers: {permissions.EVERY_TEAM!r} (the whole site) stands alone")
        token, now = tokens.new_token(), self.clock()
        lifetime = tokens.issued(now, expires_days)
        device = Device(str(uuid.uuid4()), agent_id, role, team, site, iso(now), covers=covers)
        with self.write() as conn:
            conn.execute(devices.insert().values(
                id=device.id, agent_id=agent_id, role=role, team=team, site=site, token_hash=token_hash(token),
                created_at=device.created_at, covers=",".join(covers) or None, **lifetime))
            audit.append(conn, by, permissions.DEVICE_MANAGE, "device", device.id, device.place,
                         None, device.public(), at=device.created_at)
        return device, token

    def revoke_device(self, device_id: str, by: Device | None = None) -> Device | None:
        now = iso(self.clock())
        with self.write() as conn:
            row = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
            if row is None:
                return None
            before = _device(row)
            if before.revoked_at is not None:
                return before
            conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=now))
            after = Device(**dict(before.__dict__, revoked_at=now))
            audit.append(conn, by, permissions.DEVICE_MANAGE, "device", device_id, before.place,
                         before.public(), after.public(), at=now)
        self.device_rows.drop(device_id)        # after the commit: a lookup meanwhile read it live
        return after

    def list_devices(self, reach: permissions.Reach | None = None) -> list[Device]:
        query = select(devices).order_by(devices.c.created_at, devices.c.id)
        for column, value in (reach.filters.items() if reach else ()):
            query = query.where(reach_clause(devices.c[column], value))
        with self.engine.connect() as conn:
            return [_device(r) for r in conn.execute(query).mappings()]

    def known_device(self, token: str | None) -> Device | None:
        """The device of `token` if this process looked it up within device_cache.SECONDS (no
        database: the event loop may ask), else None. Only for a request that checks the device is
        still live in its own transaction (push; pulls and lookups: still_live); a device revoked
        by another process may still be remembered here."""
        if not token:
            raise AuthError("missing bearer token", "missing")
        digest = token_hash(token)
        row = self.device_rows.get(digest)
        if row is None:
            return None
        tokens.check(row, digest, self.clock())
        return _device(row, digest)

    def authenticate(self, token: str | None) -> Device:
        """The device of `token`, asked of the database (so a revocation by any process counts at
        once), and remembered for known_device."""
        if not token:
            raise AuthError("missing bearer token", "missing")
        digest = token_hash(token)
        with self.engine.connect() as conn:
            row = tokens.lookup(conn, digest)
        tokens.check(row, digest, self.clock())        # unknown, revoked, expired, replaced: AuthError
        self.device_rows.put(digest, row)
        return _device(row, digest)

    # ----- push -----------------------------------------------------------------------------------------
    def push(self, device: Device, batch: wire.Push, authorise: Callable, audited: frozenset = frozenset()
             ) -> tuple[list[dict], str]:
        """Store a validated batch, all or nothing; the acknowledgements and the server time.

        `authorise(index, record, stored, call)` is asked about each record inside the transaction,
        and raises to refuse the batch: `stored` is the Place of the record's stored version (None:
        new), `call` the Place of the call it is about (None: not on the server; only for records
        with a call_id). Changes of the kinds in `audited` get an audit row each."""
        received = self.clock()
        now = iso(received)
        skew = clock_skew(batch.sent_at, received)
        with self.write(advisory_lock=False) as conn:
            # One stamp per record of the batch (those of unchanged records go unused: a cursor needs
            # order, not consecutive numbers), taken only while the device is live: authenticate may
            # have answered from its cache, but a revoked token writes nothing.
            stamp = stamps.stamp(conn, self.dialect, len(batch.records),
                                 only_if=tokens.still_good(device.id, device.token_digest, received))
            if stamp is None:
                raise AuthError("this device's token was revoked, replaced or expired: log in again", "revoked")
            stored = self._stored(conn, batch.records, audited)
            calls = {r.id: _place(stored[("call", r.id)]) if ("call", r.id) in stored else device.place
                     for r in batch.records if r.kind == "call"}
            calls.update(self._call_places(conn, {r.call_id for r in batch.records
                                                  if r.call_id and r.call_id not in calls}))
            inserts, updates = [], []
            for index, record in enumerate(batch.records):
                old = stored.get((record.kind, record.id))
                authorise(index, record, _place(old) if old else None,
                          calls.get(record.call_id) if record.call_id else None)
                if old is not None and record.version <= old["version"]:
                    continue                                   # already stored: acknowledged again
                row = dict(
                    kind=record.kind, id=record.id, version=record.version, seq=stamp.seqs[index], tx=stamp.tx,
                    agent_id=device.agent_id, team=device.team, site=device.site, device_id=device.id,
                    received_at=now, number=record.number, started_at=ordered_start(record.started_at, skew, now),
                    call_id=record.call_id,
                    data=json.dumps(record.data, ensure_ascii=False, separators=(",", ":")))
                (updates if old is not None else inserts).append(row)
                if record.kind in audited:            # placed where its call is (a review), else the author's
                    place = calls.get(record.call_id, device.place) if record.call_id else device.place
                    audit.append(conn, device, f"{record.kind}.push", record.kind, record.id, place,
                                 json.loads(old["data"]) if old else None, record.data, at=now)
            if inserts:
                conn.execute(records.insert(), inserts)
            if updates:
                conn.execute(_UPDATE_RECORD, [dict(v, b_kind=v["kind"], b_id=v["id"]) for v in updates])
            for hook in self.push_hooks:
                hook(conn, device, batch.records, self.clock())
        acked = [{"kind": r.kind, "id": r.id, "version": r.version} for r in batch.records]
        return acked, now, skew

    # ----- the centre's cases ------------------------------------------------------------------------
    def put_cases(self, given: list, by: Device | None) -> int:
        """Store validated case facts (cases.Case) all or nothing, an audit row per changed number;
        how many changed. `by`: the device (None: the command line). Each change takes a stamp, as a
        push does, so the next pull brings it."""
        if not given:
            return 0
        now = iso(self.clock())
        with self.write(advisory_lock=False) as conn:
            stamp = self.stamp(conn, len(given))
            stored = {}
            numbers = [c.number for c in given]
            for i in range(0, len(numbers), 500):
                rows = conn.execute(select(cases).where(cases.c.number.in_(numbers[i:i + 500]))).mappings()
                stored.update({r["number"]: r for r in rows})
            inserts, updates, changed = [], [], []
            for index, case in enumerate(given):
                row = dict(number=case.number, case_id=case.case_id, closed_at=case.closed_at,
                           branch_only=int(case.branch_only), seq=stamp.seqs[index], tx=stamp.tx, updated_at=now,
                           updated_by=by.id if by else audit.COMMAND_LINE)
                old = stored.get(case.number)
                if old is None:
                    inserts.append(row)
                elif _case_facts(old) != _case_facts(row):
                    updates.append(dict(row, b_number=case.number))
                else:
                    continue
                changed.append((case.number, _case_facts(old) if old else None, _case_facts(row)))
            if inserts:
                conn.execute(cases.insert(), inserts)
            if updates:
                conn.execute(_UPDATE_CASE, updates)
            for number, before, after in changed:
                audit.append(conn, by, permissions.CASE_WRITE, "case", number, permissions.CENTRE, before, after,
                             at=now)
        return len(changed)

    # ----- the audit ---------------------------------------------------------------------------------------
    def read_audit(self, reach: permissions.Reach, since: stamps.Cursor, limit: int, kind: str | None = None,
                   record_id: str | None = None) -> dict:
        with self.engine.connect() as conn:
            rows, more = audit.read(conn, reach, self.after(audit_table, since), limit, kind, record_id)
        cursor = stamps.last(rows, since)
        for row in rows:
            del row["tx"]
        return {"audit": rows, "cursor": cursor, "more": more}

    def _stored(self, conn: Connection, batch, with_data: frozenset) -> dict:
        found = {}
        for kind in {r.kind for r in batch}:
            ids = [r.id for r in batch if r.kind == kind]
            columns = [records.c.kind, records.c.id, records.c.version, records.c.agent_id, records.c.team,
                       records.c.site] + ([records.c.data] if kind in with_data else [])
            rows = conn.execute(select(*columns).where(records.c.kind == kind, records.c.id.in_(ids))).mappings()
            found.update({(r["kind"], r["id"]): r for r in rows})
        return found

    def _call_places(self, conn: Connection, call_ids: set) -> dict:
        if not call_ids:
            return {}
        rows = conn.execute(select(records.c.id, records.c.agent_id, records.c.team, records.c.site)
                            .where(records.c.kind == "call", records.c.id.in_(sorted(call_ids)))).mappings()
        return {r["id"]: _place(r) for r in rows}

    # ----- pull -----------------------------------------------------------------------------------------
    def still_live(self, conn: Connection, device: Device | None) -> None:
        """AuthError unless `device`'s token still lets it in, asked on the reading connection: one
        statement before a read's query, in place of authenticate's own connection (and thread-pool
        trip) for a device this process remembers (known_device). So a token revoked, replaced or
        expired by any process is refused from the next read on, as by authenticate. None: nothing to ask
        (the caller checked the device itself)."""
        if device is None:
            return
        try:
            tokens.check(tokens.lookup(conn, device.token_digest), device.token_digest, self.clock())
        except AuthError:
            self.device_rows.drop(device.id)          # its next request asks the database
            raise

    def changes(self, reach: permissions.Reach, team: str, since: stamps.Cursor, limit: int,
                live: Device | None = None) -> dict:
        """What a card's classification needs after `since`, in change order (the narrow feed): the
        profile of each number with new evidence among the numbers that rang at the reader's `team`
        within the evidence window (wire.PROFILE_DAYS), every case change and every block change.
        Evidence only within `reach`. A new card's first pull so walks its team's recent calls, not
        the centre's history; any other number is looked up when it rings (`profile`). `live`: the
        reader, whose token is checked first on the same connection (still_live)."""
        window = iso(self.clock() - timedelta(days=wire.PROFILE_DAYS))
        # From the team's side: its numbers (by team), then their calls in the window (by number),
        # and only then the cursor, so a page costs the team's recent calls, not a walk through the
        # whole table in stamp order (the planner cannot tell how much a stamp range holds).
        rang = aliased(records)
        team_numbers = select(rang.c.number).where(rang.c.kind == "call", rang.c.team == team,
                                                   rang.c.started_at >= window).distinct().cte("team_numbers")
        team_calls = (_within(select(records.c.id, records.c.tx, records.c.seq, records.c.number)
                              .join(team_numbers, records.c.number == team_numbers.c.number)
                              .where(records.c.kind == "call", records.c.started_at >= window), reach)
                      .cte("team_calls").prefix_with("MATERIALIZED", dialect="postgresql"))
        # Each number once, at its newest call after the cursor: a first pull sends a number's profile
        # once, not again on every later page one of its calls falls on. No row is skipped: a number
        # whose newest stamp is behind the cursor was sent, whole, on an earlier page, and a newer
        # call gets a newer stamp.
        newest = select(team_calls, func.row_number().over(
            partition_by=team_calls.c.number, order_by=(team_calls.c.tx.desc(), team_calls.c.seq.desc())
        ).label("newest")).where(*self.after(team_calls, since)).subquery()
        # One statement, so one snapshot on PostgreSQL: two would let a case committed between them
        # pass the cursor over a call with a smaller stamp (or the other way round).
        touched = select(literal("call", String).label("kind"), newest.c.id, newest.c.tx, newest.c.seq,
                         newest.c.number).where(newest.c.newest == 1)
        case_changes = select(literal("case", String).label("kind"), cases.c.number.label("id"), cases.c.tx,
                              cases.c.seq, cases.c.number).where(*self.after(cases, since))
        block_changes = select(literal("block", String).label("kind"), blocks.c.id, blocks.c.tx, blocks.c.seq,
                               blocks.c.number).where(*self.after(blocks, since))
        both = union_all(touched, case_changes, block_changes).subquery()
        with self.engine.connect() as conn:
            self.still_live(conn, live)
            rows = conn.execute(select(both).order_by(*stamps.order(both)).limit(limit + 1)).mappings().all()
            more, rows = len(rows) > limit, rows[:limit]
            numbers = list(dict.fromkeys(r["number"] for r in rows if r["kind"] in ("call", "case") and r["number"]))
            profiles = self._profiles(conn, reach, numbers)
            ids = [r["id"] for r in rows if r["kind"] == "block"]
            blocklist = [block_entry(b) for b in conn.execute(select(blocks).where(blocks.c.id.in_(ids))
                                                              .order_by(*stamps.order(blocks))).mappings()] if ids else []
        return {"profiles": profiles, "blocklist": blocklist, "cursor": stamps.last(rows, since), "more": more}

    def profile(self, reach: permissions.Reach, number: str, live: Device | None = None) -> dict | None:
        """The ring-time lookup of one number; `live` as for changes."""
        with self.engine.connect() as conn:
            self.still_live(conn, live)
            found = self._profiles(conn, reach, [number])
        return found[0] if found else None

    def _profiles(self, conn: Connection, reach: permissions.Reach, numbers: list[str]) -> list[dict]:
        """The profiles of `numbers` (those with calls in `reach` or a case), in that order: three
        set-based queries, however many numbers."""
        if not numbers:
            return []
        updated = dict(conn.execute(_within(
            select(records.c.number, func.max(records.c.received_at))
            .where(records.c.kind == "call", records.c.number.in_(numbers)).group_by(records.c.number), reach)).all())
        case_of = {r["number"]: r for r in conn.execute(select(cases).where(cases.c.number.in_(numbers))).mappings()}
        window = iso(self.clock() - timedelta(days=wire.PROFILE_DAYS))
        ranked = _within(
            select(records.c.number, records.c.id, records.c.data, records.c.started_at,
                   func.row_number().over(partition_by=records.c.number,
                                          order_by=(records.c.started_at.desc(), records.c.id)).label("rank"))
            .where(records.c.kind == "call", records.c.number.in_(numbers), records.c.started_at >= window),
            reach).subquery()
        evidence: dict[str, list] = {}
        for r in conn.execute(select(ranked).where(ranked.c.rank <= wire.PROFILE_EVIDENCE)
                              .order_by(ranked.c.number, ranked.c.rank)).mappings():
            evidence.setdefault(r["number"], []).append(_evidence(r))
        found = []
        for number in numbers:
            case = case_of.get(number)
            if number not in updated and case is None:
                continue
            latest = max(filter(None, (updated.get(number), case["updated_at"] if case else None)))
            found.append({"number": number, "updated_at": latest,
                          "case_id": case["case_id"] if case else None,
                          "case_closed_at": case["closed_at"] if case else None,
                          "branch_only": bool(case and case["branch_only"]), "evidence": evidence.get(number, [])})
        return found

    def team_changes(self, reach: permissions.Reach, since: stamps.Cursor, limit: int,
                     live: Device | None = None) -> dict:
        """The calls and notes within `reach` (a lead's team, a manager's site) changed after `since`;
        `live` as for changes."""
        with self.engine.connect() as conn:
            self.still_live(conn, live)
            rows = conn.execute(_within(
                select(records.c.kind, records.c.id, records.c.version, records.c.tx, records.c.seq,
                       records.c.agent_id, records.c.received_at, records.c.data)
                .where(records.c.kind.in_(("call", "note")), *self.after(records, since)), reach)
                .order_by(*stamps.order(records)).limit(limit + 1)).mappings().all()
        more, rows = len(rows) > limit, rows[:limit]
        calls, notes = [], []
        for r in rows:
            row = dict(json.loads(r["data"]), id=r["id"], version=r["version"], received_at=r["received_at"])
            if r["kind"] == "note":
                notes.append(row)
            else:
                calls.append(row)
        return {"calls": calls, "notes": notes, "cursor": stamps.last(rows, since), "more": more}


_UPDATE_RECORD = (update(records).where(records.c.kind == bindparam("b_kind"), records.c.id == bindparam("b_id"))
                  .values({c: bindparam(c) for c in ("version", "seq", "tx", "agent_id", "team", "site", "device_id",
                                                      "received_at", "number", "started_at", "call_id", "data")}))
_UPDATE_CASE = (update(cases).where(cases.c.number == bindparam("b_number"))
                .values({c: bindparam(c) for c in ("case_id", "closed_at", "branch_only", "seq", "tx", "updated_at",
                                                    "updated_by")}))


def _device(row, token_digest: str | None = None) -> Device:
    return Device(row["id"], row["agent_id"], row["role"], row["team"], row["site"], row["created_at"],
                  row["revoked_at"], tuple(row["covers"].split(",")) if row["covers"] else (), token_digest)


def clock_skew(sent_at: str | None, received: datetime) -> float:
    """How far the server's clock is ahead of the card's (seconds; 0 within wire.MAX_SKEW_SECONDS
    or when the card did not say)."""
    if sent_at is None:
        return 0.0
    skew = (received - datetime.fromisoformat(sent_at)).total_seconds()
    return skew if abs(skew) > wire.MAX_SKEW_SECONDS else 0.0


def ordered_start(started_at: str | None, skew: float, received_at: str) -> str | None:
    """A call's start as the server orders evidence by: the card's, moved by its clock's skew and
    never after the server received it (a card a year fast does not win "latest"; a month slow is seen)."""
    if started_at is None:
        return None
    if skew:
        started_at = iso(datetime.fromisoformat(started_at) + timedelta(seconds=skew))
    return min(started_at, received_at)


def _evidence(row) -> dict:
    """One evidence row of a profile, from a call's stored row."""
    data = json.loads(row["data"])
    evidence = {name: data.get(name) for name in wire.EVIDENCE_FIELDS}
    evidence.update(call_id=row["id"], started_at=row["started_at"], sub_reason=data.get("sub_reason", ""),
                    class_source=data.get("class_source", "auto"), warnings=data.get("warnings", 0),
                    explanations=data.get("explanations", 0))
    return evidence


def _within(query, reach: permissions.Reach):
    """`query` on `records`, narrowed to the rows in `reach`."""
    for column, value in reach.filters.items():
        query = query.where(reach_clause(records.c[column], value))
    return query


def _place(row) -> Place:
    return Place(row["agent_id"], row["team"], row["site"])


def _case_facts(row) -> dict:
    return {"case_id": row["case_id"], "closed_at": row["closed_at"], "branch_only": bool(row["branch_only"])}


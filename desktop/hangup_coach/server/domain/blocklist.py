"""The IVR blocklist on the server: proposals from pushes, the commands, the review queue, the
export, and the background work (expiry, the burst rule, keeping Kamailio in step).

The rules are core/blocklist.py's pure functions over the centre's `blocklist.toml`; this module
stores each step with a new version, a pull `seq` and one append-only audit row, all in one
transaction. Commands name the version they saw (409 when stale). Errors carry an HTTP status:
401/403 (who), 404 (no such block), 409 (stale or wrong state), 422 (bad input).

Who may act on which block is asked of the permission module (server/permissions.py) with the
actions defined below: a block belongs to a team and site (its proposer's; an automatic block
the deciding call's), so a lead reads and decides the blocks of their team, a manager those of
their site. The centre's rules (core/blocklist.py) then say which of those roles may decide which
scope (a day, a month) and keep four-eyes between people.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ... import wire
from ...core import blocklist as rules_
from ...core.blocklist import Actor, Block, BlockError, BlockRules
from ...core.blocklist_export import FORMATS, export
from ...core.callers import CallerClass, SubReason
from ...core.classify import PastCall
from .. import permissions
from ..storage import Device, audit, iso
from ..storage.blocklist_tables import block_audit, block_entry as entry, blocks, never_block
from ..storage import changes as stamps
from ..storage.engine import reach_clause, serialise
from ..storage.schema import records
from .jobs import Job, Scheduler
from .kamailio import KamailioError, KamailioSync

log = logging.getLogger("hangup_coach.server.blocklist")
BLOCK_READ = permissions.define("block.read", {"lead": "team", "qa": "team", "manager": "site", "admin": "centre"})
BLOCK_DECIDE = permissions.define("block.decide", {"lead": "team", "manager": "site"})      # approve, reject, review
BLOCK_OPERATE = permissions.define("block.operate", {"lead": "team", "manager": "site", "admin": "centre"})
BLOCK_EXPORT = permissions.define("block.export", {"manager": "centre", "admin": "centre"})  # what the PBX blocks
NEVER_BLOCK_MANAGE = permissions.define("never_block.manage", {"manager": "centre", "admin": "centre"})
ACTION_OF = {"approve": BLOCK_DECIDE, "reject": BLOCK_DECIDE, "review": BLOCK_DECIDE,
             "activate": BLOCK_OPERATE, "revoke": BLOCK_OPERATE}
ACTIONS = tuple(ACTION_OF)
STATUS_OF_ERROR = {"forbidden": 403, "conflict": 409, "invalid": 422}


class BlocklistError(Exception):
    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _t(text: str | None) -> datetime | None:
    return wire.parse_utc(text) if text else None


def to_block(row) -> Block:
    return Block(row["id"], row["number"], row["scope"], row["reason"], row["status"], _t(row["created_at"]),
                 proposed_by=row["proposed_by"], decided_by=row["decided_by"], decided_at=_t(row["decided_at"]),
                 operated_by=row["operated_by"], activated_at=_t(row["activated_at"]),
                 expires_at=_t(row["expires_at"]), review_at=_t(row["review_at"]), ended_at=_t(row["ended_at"]),
                 note=row["note"], automatic=bool(row["automatic"]), confirmed_by=row["confirmed_by"],
                 evidence=tuple(json.loads(row["evidence"])))


def place_of(row) -> permissions.Place:
    """Where a block belongs: a team's record at a site, nobody's own."""
    return permissions.Place(None, row["team"], row["site"])


def _within(query, reach: permissions.Reach):
    """`query` narrowed to the blocks in `reach` (a lead's team, a manager's site)."""
    for column, value in reach.filters.items():
        query = query.where(reach_clause(blocks.c[column], value))
    return query


def _columns(block: Block) -> dict:
    values = asdict(block)
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = iso(value)
    values["automatic"] = int(block.automatic)
    values["evidence"] = json.dumps(list(block.evidence))
    return values


class Blocklist:
    def __init__(self, storage, rules: BlockRules, kamailio: KamailioSync | None = None) -> None:
        self.storage, self.rules, self.kamailio = storage, rules, kamailio
        self._burst_cursor = stamps.START   # call records up to here have been looked at by the burst rule
        self.kamailio_error: str | None = None
        self.changed = threading.Event()   # a command changed what is active: the worker runs at once

    # ----- proposals arrive with a push (called inside the push's transaction) -------------------------
    def proposals_pushed(self, conn, device: Device, pushed: list, now: datetime) -> None:
        if any(r.kind == "block_proposal" for r in pushed):
            serialise(conn)      # "one live block per number" holds against concurrent pushes and commands
        for record in pushed:
            if record.kind != "block_proposal":
                continue
            if conn.execute(select(blocks.c.id).where(blocks.c.id == record.id)).first():
                continue                                  # the same proposal again (a retry)
            data = record.data
            rules = self._rules(conn)
            try:
                block = rules_.propose(rules, Actor(device.agent_id, device.role), record.id, data["number"],
                                       data["scope"], data["reason"], now,
                                       evidence=[data["call_id"]] if data.get("call_id") else ())
            except BlockError as exc:
                raise BlocklistError(STATUS_OF_ERROR[exc.kind], f"block proposal {record.id}: {exc}") from None
            live = self._live(conn, block.number)
            if live is not None:   # one live block per number: this one is closed at once, and the card hears why
                block = replace(block, status="rejected", decided_by=rules_.SYSTEM.agent_id, decided_at=now,
                                ended_at=now, note=f"the number already has a live block ({live.id})")
                self._store(conn, block, None, device, "duplicate", block.note, place=device.place)
                continue
            self._store(conn, block, None, device, "propose", "", place=device.place)

    # ----- commands ------------------------------------------------------------------------------------
    def command(self, device: Device, block_id: str, action: str, expected_version: object,
                note: str = "", expires_at: str | None = None) -> dict:
        if action not in ACTIONS:
            raise BlocklistError(404, f"no command {action!r}; one of {', '.join(ACTIONS)}")
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise BlocklistError(422, "expected_version (the block's version you saw) is required")
        until = None
        if expires_at is not None:
            try:
                until = wire.parse_utc(expires_at)
            except (TypeError, ValueError) as exc:
                raise BlocklistError(422, f"expires_at: {exc}") from None
        with self.storage.write() as conn:
            row = conn.execute(select(blocks).where(blocks.c.id == block_id)).mappings().first()
            if row is None:
                raise BlocklistError(404, f"no block {block_id}")
            permissions.check(device, ACTION_OF[action], place_of(row), f"block {block_id}")
            if row["version"] != expected_version:
                raise BlocklistError(409, f"the block changed meanwhile (version {row['version']}, "
                                          f"not {expected_version}): look again", current=entry(row))
            block, actor, now = to_block(row), Actor(device.agent_id, device.role), self.storage.clock()
            rules = self._rules(conn)
            try:
                if action == "approve":
                    changed = rules_.approve(rules, block, actor, now)
                elif action == "reject":
                    changed = rules_.reject(rules, block, actor, now, note)
                elif action == "activate":
                    changed = rules_.activate(rules, block, actor, now, until)
                elif action == "revoke":
                    changed = rules_.revoke(rules, block, actor, now, note)
                else:
                    changed = rules_.review(rules, block, actor, now)
            except BlockError as exc:
                raise BlocklistError(STATUS_OF_ERROR[exc.kind], str(exc)) from None
            shown = self._store(conn, changed, row, device, action, note)
        if "active" in (block.status, changed.status):
            self.changed.set()            # Kamailio in step now, not at the next round
        return shown

    # ----- reading ---------------------------------------------------------------------------------------
    def list(self, device: Device, status: str | None = None, number: str | None = None) -> list[dict]:
        query = _within(select(blocks).order_by(blocks.c.created_at, blocks.c.id), permissions.reach(device, BLOCK_READ))
        if status:
            if status not in rules_.STATUSES:
                raise BlocklistError(422, f"unknown status {status!r}; one of {', '.join(rules_.STATUSES)}")
            query = query.where(blocks.c.status == status)
        if number:
            _e164(number)
            query = query.where(blocks.c.number == number)
        with self.storage.engine.connect() as conn:
            return [entry(r) for r in conn.execute(query).mappings()]

    def get(self, device: Device, block_id: str) -> dict:
        """A block, who did what to it and why (the audit), and its evidence calls."""
        with self.storage.engine.connect() as conn:
            row = conn.execute(select(blocks).where(blocks.c.id == block_id)).mappings().first()
            if row is None:
                raise BlocklistError(404, f"no block {block_id}")
            permissions.check(device, BLOCK_READ, place_of(row), f"block {block_id}")
            audit = [dict(r, detail=json.loads(r["detail"])) for r in conn.execute(
                select(block_audit).where(block_audit.c.block_id == block_id).order_by(block_audit.c.id)).mappings()]
            calls = self._evidence(conn, json.loads(row["evidence"]))
        return {"block": entry(row), "audit": audit, "evidence": calls}

    def queue(self, device: Device) -> dict:
        """The review queue of the blocks in the device's reach."""
        reach = permissions.reach(device, BLOCK_READ)
        now = self.storage.clock()
        with self.storage.engine.connect() as conn:
            rows = {r["id"]: r for r in conn.execute(_within(select(blocks).where(
                blocks.c.status.in_(("proposed", "approved", "active"))), reach)).mappings()}
            found = rules_.review_queue([to_block(r) for r in rows.values()], now)
            out = {}
            for part in ("proposals", "to_activate", "to_confirm", "due"):
                out[part] = [dict(entry(rows[b.id]), calls=self._evidence(conn, list(b.evidence)))
                             for b in getattr(found, part)]
        return out

    def export(self, device: Device, fmt: str) -> str:
        """The centre's blocks for another PBX (a PBX blocks for the whole centre)."""
        permissions.check(device, BLOCK_EXPORT)
        if fmt not in FORMATS:
            raise BlocklistError(422, f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        with self.storage.engine.connect() as conn:
            rows = conn.execute(select(blocks).where(blocks.c.status.in_(("active", "expired", "revoked"))))
            return export([to_block(r) for r in rows.mappings()], fmt, self.storage.clock())

    def _evidence(self, conn, call_ids: list) -> list[dict]:
        if not call_ids:
            return []
        rows = conn.execute(select(records.c.id, records.c.agent_id, records.c.data)
                            .where(records.c.kind == "call", records.c.id.in_(call_ids))).mappings()
        out = []
        for r in rows:
            data = json.loads(r["data"])
            out.append({"call_id": r["id"], "agent_id": r["agent_id"]} | {k: data.get(k) for k in (
                "started_at", "caller_class", "sub_reason", "warnings", "disposition", "class_reason")})
        return sorted(out, key=lambda c: c["started_at"] or "")

    # ----- the never-block list -------------------------------------------------------------------------
    def never_block_list(self, device: Device) -> list[dict]:
        permissions.check(device, BLOCK_READ, permissions.Place.of(device))
        with self.storage.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(never_block).order_by(never_block.c.number)).mappings()]

    def never_block_add(self, device: Device, number: str, note: str) -> None:
        permissions.check(device, NEVER_BLOCK_MANAGE)
        _e164(number)
        with self.storage.write() as conn:
            if not conn.execute(select(never_block.c.number).where(never_block.c.number == number)).first():
                row = dict(number=number, note=note[:500], added_by=device.agent_id, added_at=iso(self.storage.clock()))
                conn.execute(never_block.insert().values(**row))
                audit.append(conn, device, "never_block.add", "never_block", number, permissions.CENTRE,
                             None, row, row["added_at"])

    def never_block_remove(self, device: Device, number: str, note: str) -> None:
        """Take a number off the centre's never-block list (the shipped TOML's numbers stay: they are
        the centre's configuration); 404 when it is not on the list, a reason is required."""
        permissions.check(device, NEVER_BLOCK_MANAGE)
        _e164(number)
        if not note.strip():
            raise BlocklistError(422, "a reason is required")
        with self.storage.write() as conn:
            row = conn.execute(select(never_block).where(never_block.c.number == number)).mappings().first()
            if row is None:
                configured = number in self.rules.never_block
                raise BlocklistError(409 if configured else 404, "the number is on the never-block list of the "
                                     "server's blocklist rules (blocklist.toml): change it there" if configured
                                     else "the number is not on the never-block list")
            conn.execute(never_block.delete().where(never_block.c.number == number))
            audit.append(conn, device, "never_block.remove", "never_block", number, permissions.CENTRE,
                         dict(row), {"removed": True, "note": note.strip()[:500]}, iso(self.storage.clock()))

    def _rules(self, conn) -> BlockRules:
        listed = {r.number for r in conn.execute(select(never_block.c.number))}
        return replace(self.rules, never_block=self.rules.never_block | listed) if listed else self.rules

    # ----- background work (run by `background`, below) -------------------------------------------------
    def tick(self) -> dict:
        now = self.storage.clock()
        done = {"expired": self._expire(now), "automatic": self._bursts(now), "kamailio": 0}
        if self.kamailio is not None:
            try:
                done["kamailio"] = self.kamailio.sync(self._active(), now)
                self.kamailio_error = None
            except KamailioError as exc:
                if self.kamailio_error != str(exc):
                    log.error("cannot keep Kamailio in step (retrying): %s", exc)
                self.kamailio_error = str(exc)
        return done

    def _expire(self, now: datetime) -> int:
        with self.storage.engine.connect() as conn:
            due = [r["id"] for r in conn.execute(select(blocks.c.id).where(
                blocks.c.status == "active", blocks.c.expires_at.is_not(None),
                blocks.c.expires_at <= iso(now))).mappings()]
        for block_id in due:
            with self.storage.write() as conn:
                row = conn.execute(select(blocks).where(blocks.c.id == block_id)).mappings().first()
                ended = rules_.expire(to_block(row), now) if row else None
                if ended is not None:
                    self._store(conn, ended, row, None, "expire", "")
        return len(due)

    def _bursts(self, now: datetime) -> int:
        rule = self.rules.burst
        with self.storage.engine.connect() as conn:
            fresh = conn.execute(select(records.c.tx, records.c.seq, records.c.number).where(
                records.c.kind == "call", records.c.number.is_not(None), *self.storage.after(records, self._burst_cursor))
                .order_by(*stamps.order(records))).all()
        if not fresh:
            return 0
        made = 0
        # A burst's window ends in the last `minutes`: only a number with `calls` calls since twice
        # that long ago can be one. One query for all, then the rule for those few.
        recent = iso(now - 2 * timedelta(minutes=rule.minutes))
        with self.storage.engine.connect() as conn:
            candidates = {n for n, in conn.execute(
                select(records.c.number).where(records.c.kind == "call", records.c.started_at >= recent,
                                               records.c.number.in_({n for _, _, n in fresh}))
                .group_by(records.c.number).having(func.count() >= rule.calls))}
        for number in (n for n in dict.fromkeys(n for _, _, n in fresh) if n in candidates):
            with self.storage.engine.connect() as conn:
                if self._live(conn, number) is not None or number in self._rules(conn).never_block:
                    continue
                since = iso(now - max(timedelta(days=rule.regular_days), timedelta(minutes=rule.minutes)))
                found = conn.execute(select(records.c.id, records.c.data, records.c.team, records.c.site).where(
                    records.c.kind == "call", records.c.number == number, records.c.started_at >= since)).mappings().all()
            calls = [(r["id"], _past_call(json.loads(r["data"]))) for r in found]
            evidence = rules_.burst_evidence(self.rules, number, [c for c in calls if c[1]], now)
            if evidence is None:
                continue
            deciding = next(r for r in found if r["id"] == evidence[-1])   # its team's lead confirms the block
            with self.storage.write() as conn:
                if self._live(conn, number) is None:
                    block = rules_.automatic(self.rules, str(uuid.uuid4()), number, now, evidence)
                    self._store(conn, block, None, None, "burst", f"{len(evidence)} calls, no-value judged by agents",
                                place=permissions.Place(None, deciding["team"], deciding["site"]))
                    made += 1
                    log.info("automatic block %s (%d calls): in the review queue", block.id, len(evidence))
        self._burst_cursor = stamps.Cursor(fresh[-1][0], fresh[-1][1])
        return made

    def _active(self) -> dict[str, datetime | None]:
        now = self.storage.clock()
        with self.storage.engine.connect() as conn:
            rows = conn.execute(select(blocks.c.number, blocks.c.expires_at).where(blocks.c.status == "active"))
            active: dict[str, datetime | None] = {}
            for number, expires in rows:
                until = _t(expires)
                if until is None or until > now:
                    old = active.get(number, until)
                    active[number] = None if old is None or until is None else max(old, until)
        return active

    # ----- storing one step ------------------------------------------------------------------------------
    def _live(self, conn, number: str):
        return conn.execute(select(blocks.c.id).where(blocks.c.number == number,
                                                      blocks.c.status.in_(rules_.LIVE))).first()

    def _store(self, conn, block: Block, old, device: Device | None, action: str, note: str,
               place: permissions.Place | None = None) -> dict:
        """One step of `block` (new when `old` is None: then `place` is where it belongs)."""
        stamp = self.storage.stamp(conn, 1)
        now = iso(self.storage.clock())
        values = _columns(block) | {"updated_at": now, "seq": stamp.seqs[0], "tx": stamp.tx}
        if old is None:
            values |= {"version": 1, "team": place.team, "site": place.site}
            conn.execute(blocks.insert().values(**values))
        else:
            values["version"] = old["version"] + 1
            conn.execute(update(blocks).where(blocks.c.id == block.id).values(**values))
        row = conn.execute(select(blocks).where(blocks.c.id == block.id)).mappings().first()
        shown = entry(row)
        # the server's one audit too (GET /v1/audit), beside the blocklist's own trail with its reasons
        audit.append(conn, device or _WORKER, f"block.{action}", "block", block.id,
                     place_of(row), entry(old) if old is not None else None, shown, now)
        conn.execute(block_audit.insert().values(
            block_id=block.id, number=block.number, action=action, status=block.status,
            actor=device.agent_id if device else "system", role=device.role if device else "system",
            device_id=device.id if device else "", at=now, note=note or "",
            detail=json.dumps(shown, ensure_ascii=False)))
        return shown


@dataclass(frozen=True)
class _Worker:
    """Who acts in the audit for the background worker's steps (expiry, the burst rule)."""
    id: str = "blocklist-worker"
    agent_id: str = "system"
    role: str = "system"


_WORKER = _Worker()


def _e164(number: str) -> None:
    if not wire.is_e164(number):
        raise BlocklistError(422, "the number must be E.164 (+ and 6-15 digits)")


def _past_call(data: dict) -> PastCall | None:
    try:
        return PastCall(wire.parse_utc(data["started_at"]), CallerClass(data.get("caller_class", "unknown")),
                        SubReason(data.get("sub_reason") or ""), data.get("class_source", "auto"),
                        int(data.get("warnings") or 0), int(data.get("explanations") or 0), data.get("disposition"))
    except (KeyError, TypeError, ValueError):
        return None


def background(blocklist: Blocklist, interval: float = 1.0, lease_seconds: float = 30.0) -> Scheduler:
    """The blocklist's background work (expiry, bursts, Kamailio) as a job of its own scheduler
    (domain/jobs.py): every `interval` s and at once when a block changes (`blocklist.changed`),
    never inside a push; a failing run is logged and tried again on the next tick. Of several
    server processes (--workers N) only the one holding the lease `blocklist` (its name from
    before the job, so servers of both versions never both run it) works; another takes over when
    it stops renewing (its process died) or releases it (a clean stop), and pushes Kamailio whole."""
    kamailio = blocklist.kamailio
    job = Job("blocklist", 0, lambda still_mine: _summary(blocklist.tick()), lease="blocklist",
              taken=kamailio.forget if kamailio else None, close=kamailio.close if kamailio else None)
    return Scheduler(blocklist.storage, [job], tick=interval, lease_seconds=lease_seconds, wake=blocklist.changed)


def _summary(done: dict) -> str | None:
    """A log line of a run that changed something (None: nothing did)."""
    return ", ".join(f"{what} {n}" for what, n in done.items() if n) or None

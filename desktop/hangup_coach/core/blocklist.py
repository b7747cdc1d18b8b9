"""The IVR blocklist's rules and lifecycle, pure: who decides and operates, expiry, review, bursts.

proposed → approved | rejected;  approved → active;  active → expired | revoked.
An automatic block (the burst rule) starts active, marked automatic, and waits in the review
queue until a decider confirms or revokes it. Every function takes the time (`now`) as an
argument and returns a new `Block`; the server stores it and writes the audit row.

The centre's rules come from `resources/blocklist.toml` (declared schema below, as policy.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from .callers import CallerClass
from .classify import BlockNote, PastCall
from .policy import Names, Number, PolicyError, refuse_unknown

SCOPES = ("day", "week", "month", "permanent")
LIFTED_SHOWN = timedelta(days=7)   # a card still mentions a block lifted this recently
STATUSES = ("proposed", "approved", "rejected", "active", "expired", "revoked")
LIVE = ("proposed", "approved", "active")       # at most one of these per number
LIFTED = ("expired", "revoked")


class RulesError(PolicyError):
    """The blocklist rules file is malformed; the message names the key."""


class BlockError(Exception):
    """A step refused. `kind`: forbidden (403), conflict (409: wrong state), invalid (422)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# ----- the centre's rules ------------------------------------------------------------------

@dataclass(frozen=True)
class BurstRule:
    calls: int = 10
    minutes: int = 60
    no_value: int = 3
    scope: str = "day"
    regular_calls: int = 3
    regular_days: int = 30


@dataclass(frozen=True)
class BlockRules:
    scope_length: dict = field(default_factory=lambda: {
        "day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)})
    decide: dict = field(default_factory=lambda: {
        "day": ("lead", "manager"), "week": ("lead", "manager"),
        "month": ("manager",), "permanent": ("manager",)})
    operate_roles: tuple[str, ...] = ("lead", "manager", "admin")
    four_eyes: bool = True
    propose_roles: tuple[str, ...] = ("agent", "lead", "manager")
    reasons: tuple[str, ...] = ("harassment", "abuse", "out_of_scope")
    review_every: timedelta = timedelta(days=30)
    burst: BurstRule = BurstRule()
    longest_automatic: str = "day"
    never_block: frozenset[str] = frozenset()

    @classmethod
    def from_toml(cls, text: str) -> "BlockRules":
        try:
            data = tomllib.loads(text.removeprefix("\ufeff"))
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"blocklist rules are not valid TOML: {exc}") from exc
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: dict) -> "BlockRules":
        try:
            values = _read_schema(data)
        except PolicyError as exc:
            raise RulesError(str(exc)) from None
        base = cls()
        scope_length = {**base.scope_length, **values.get("scopes", {})}
        decide = {**base.decide, **values.get("decide", {})}
        operate, propose = values.get("operate", {}), values.get("propose", {})
        review, burst, auto = values.get("review", {}), values.get("burst", {}), values.get("automatic", {})
        rules = cls(
            scope_length=scope_length, decide=decide,
            operate_roles=operate.get("roles", base.operate_roles),
            four_eyes=operate.get("four_eyes", base.four_eyes),
            propose_roles=propose.get("roles", base.propose_roles),
            reasons=propose.get("reasons", base.reasons),
            review_every=timedelta(days=review.get("active_every_days", 30)),
            burst=replace(base.burst, **burst),
            longest_automatic=auto.get("longest_scope", base.longest_automatic),
            never_block=frozenset(values.get("never_block", {}).get("numbers", ())),
        )
        if not scope_length["day"] <= scope_length["week"] <= scope_length["month"]:
            raise RulesError("scopes: day must not be longer than week, nor week than month")
        if SCOPES.index(rules.burst.scope) > SCOPES.index(rules.longest_automatic):
            raise RulesError(f"burst.scope ({rules.burst.scope}) is longer than "
                             f"automatic.longest_scope ({rules.longest_automatic})")
        if rules.burst.no_value > rules.burst.calls:
            raise RulesError(f"burst.no_value ({rules.burst.no_value}) must not exceed burst.calls ({rules.burst.calls})")
        return rules

    def length(self, scope: str) -> timedelta | None:
        """How long a block of `scope` lasts once active; None: permanent."""
        return self.scope_length.get(scope)

    def automatic_scope(self) -> str:
        return min(self.burst.scope, self.longest_automatic, key=SCOPES.index)


@dataclass(frozen=True)
class Duration:
    def check(self, where: str, raw: object) -> timedelta:
        m = re.fullmatch(r"([1-9][0-9]{0,5})([smhd])", raw) if isinstance(raw, str) else None
        if m is None:
            raise PolicyError(f'{where} must be a length such as "30s", "12h" or "7d", got {raw!r}')
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        length = timedelta(**{unit: int(m.group(1))})
        if length > timedelta(days=3650):
            raise PolicyError(f"{where} must be at most ten years, got {raw!r}")
        return length


@dataclass(frozen=True)
class Flag:
    def check(self, where: str, raw: object) -> bool:
        if not isinstance(raw, bool):
            raise PolicyError(f"{where} must be true or false, got {raw!r}")
        return raw


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def check(self, where: str, raw: object) -> str:
        if raw not in self.choices:
            raise PolicyError(f"{where} must be one of {', '.join(self.choices)}; got {raw!r}")
        return raw


ROLES = ("agent", "lead", "qa", "manager", "admin")


@dataclass(frozen=True)
class Roles:
    empty: bool = False

    def check(self, where: str, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list) or (not raw and not self.empty) or not all(r in ROLES for r in raw):
            raise PolicyError(f"{where} must be a list of roles ({', '.join(ROLES)}), got {raw!r}")
        return tuple(dict.fromkeys(raw))


E164 = re.compile(r"\+[1-9][0-9]{2,14}")


@dataclass(frozen=True)
class Numbers:
    def check(self, where: str, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise PolicyError(f"{where} must be a list of numbers written +<country><number>, got {raw!r}")
        for item in raw:
            if not isinstance(item, str) or not E164.fullmatch(item):
                raise PolicyError(f"{where}: {item!r} is not a number written +<country><number> (E.164)")
        return tuple(raw)


def _read_schema(data: dict) -> dict:
    refuse_unknown(data, SCHEMA, "section", "[{}]")
    values: dict = {}
    for section, keys in SCHEMA.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise PolicyError(f"[{section}] must be a table")
        refuse_unknown(table, keys, "key", f"{section}.{{}}")
        values[section] = {key: rule.check(f"{section}.{key}", table[key]) for key, rule in keys.items() if key in table}
    return values


# Every section and key the rules file may hold.
SCHEMA: dict[str, dict] = {
    "scopes": {"day": Duration(), "week": Duration(), "month": Duration()},
    "decide": {scope: Roles() for scope in SCOPES},
    "operate": {"roles": Roles(), "four_eyes": Flag()},
    "propose": {"roles": Roles(), "reasons": Names("reasons")},
    "review": {"active_every_days": Number(None, int, 1, 3650)},
    "burst": {
        "calls": Number(None, int, 2, 10_000), "minutes": Number(None, int, 1, 7 * 24 * 60),
        "no_value": Number(None, int, 1, 10_000), "scope": OneOf(SCOPES[:3]),
        "regular_calls": Number(None, int, 1, 10_000), "regular_days": Number(None, int, 1, 3650),
    },
    "automatic": {"longest_scope": OneOf(SCOPES[:3])},
    "never_block": {"numbers": Numbers()},
}


# ----- one block and its steps -------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """A person acting: their agent number (four-eyes is between people, not devices) and role."""

    agent_id: str
    role: str


SYSTEM = Actor("system", "system")


@dataclass(frozen=True)
class Block:
    id: str
    number: str                       # E.164
    scope: str
    reason: str                       # a preset key (harassment, abuse, out_of_scope, burst)
    status: str
    created_at: datetime
    proposed_by: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    operated_by: str = ""
    activated_at: datetime | None = None
    expires_at: datetime | None = None
    review_at: datetime | None = None
    ended_at: datetime | None = None   # rejected, expired or revoked
    note: str = ""                     # why it was rejected or revoked
    automatic: bool = False
    confirmed_by: str = ""             # who confirmed an automatic block
    evidence: tuple[str, ...] = ()     # call ids


def check_number(e164: str | None, rules: BlockRules) -> str:
    if not e164 or not E164.fullmatch(e164):
        raise BlockError("invalid", "the number must be a phone number (digits, optionally +country code)")
    if e164 in rules.never_block:
        raise BlockError("invalid", "this number is on the never-block list")
    return e164


def propose(rules: BlockRules, actor: Actor, block_id: str, number: str, scope: str, reason: str,
            now: datetime, evidence: Sequence[str] = ()) -> Block:
    if scope not in SCOPES:
        raise BlockError("invalid", f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    if reason not in rules.reasons:
        raise BlockError("invalid", f"unknown reason {reason!r}; one of {', '.join(rules.reasons)}")
    check_number(number, rules)
    _need(actor, rules.propose_roles, "propose a block")
    return Block(block_id, number, scope, reason, "proposed", now, proposed_by=actor.agent_id,
                 evidence=tuple(evidence))


def approve(rules: BlockRules, block: Block, actor: Actor, now: datetime) -> Block:
    _need(actor, rules.decide[block.scope], f"decide a {block.scope} block")
    _in(block, "proposed", "approve")
    return replace(block, status="approved", decided_by=actor.agent_id, decided_at=now)


def reject(rules: BlockRules, block: Block, actor: Actor, now: datetime, note: str) -> Block:
    _need(actor, rules.decide[block.scope], f"decide a {block.scope} block")
    _in(block, "proposed", "reject")
    return replace(block, status="rejected", decided_by=actor.agent_id, decided_at=now, ended_at=now,
                   note=_why(note))


def activate(rules: BlockRules, block: Block, actor: Actor, now: datetime,
             expires_at: datetime | None = None) -> Block:
    """Carry an approved block out. `expires_at` may shorten the scope, never lengthen it."""
    _need(actor, rules.operate_roles, "activate a block")
    _in(block, "approved", "activate")
    if rules.four_eyes and actor.agent_id == block.decided_by:
        raise BlockError("forbidden", "four-eyes: the person who approved a block may not also activate it")
    longest = _expiry(rules, block.scope, now)
    if expires_at is not None:
        if expires_at <= now:
            raise BlockError("invalid", "the expiry is in the past")
        if longest is not None and expires_at > longest:
            raise BlockError("invalid", f"the expiry is later than a {block.scope} block lasts")
    ends = expires_at or longest
    return replace(block, status="active", operated_by=actor.agent_id, activated_at=now, expires_at=ends,
                   review_at=_next_review(rules, now, ends))


def revoke(rules: BlockRules, block: Block, actor: Actor, now: datetime, note: str) -> Block:
    _need(actor, rules.operate_roles + rules.decide[block.scope], "revoke a block")
    _in(block, "active", "revoke")
    return replace(block, status="revoked", operated_by=actor.agent_id, ended_at=now, note=_why(note),
                   review_at=None)


def review(rules: BlockRules, block: Block, actor: Actor, now: datetime) -> Block:
    """A decider looked at an active block and keeps it: confirms an automatic one, and the
    next review is one interval away."""
    _need(actor, rules.decide[block.scope], f"review a {block.scope} block")
    _in(block, "active", "review")
    return replace(block, review_at=_next_review(rules, now, block.expires_at),
                   confirmed_by=actor.agent_id if block.automatic else block.confirmed_by)


def expire(block: Block, now: datetime) -> Block | None:
    """The expired block when its time has come, else None."""
    if block.status == "active" and block.expires_at is not None and block.expires_at <= now:
        return replace(block, status="expired", ended_at=block.expires_at, review_at=None)
    return None


def automatic(rules: BlockRules, block_id: str, number: str, now: datetime, evidence: Sequence[str]) -> Block:
    scope = rules.automatic_scope()
    ends = _expiry(rules, scope, now)
    return Block(block_id, number, scope, "burst", "active", now, proposed_by=SYSTEM.agent_id,
                 decided_by=SYSTEM.agent_id, decided_at=now, operated_by=SYSTEM.agent_id, activated_at=now,
                 expires_at=ends, review_at=now, automatic=True, evidence=tuple(evidence))


def _expiry(rules: BlockRules, scope: str, now: datetime) -> datetime | None:
    length = rules.length(scope)
    return None if length is None else now + length


def _next_review(rules: BlockRules, now: datetime, ends: datetime | None) -> datetime | None:
    due = now + rules.review_every
    return due if ends is None or due < ends else None


def _in(block: Block, status: str, step: str) -> None:
    """After the role check: who may not act at all hears 403, whatever the state."""
    if block.status != status:
        raise BlockError("conflict", f"cannot {step} a block that is {block.status} (it must be {status})")


def _need(actor: Actor, roles: Iterable[str], what: str) -> None:
    if actor.role not in roles:
        raise BlockError("forbidden", f"the role {actor.role!r} may not {what}")


def _why(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise BlockError("invalid", "a reason is required")
    if len(note) > 500:
        raise BlockError("invalid", "the reason is longer than 500 characters")
    return note


# ----- the review queue --------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewQueue:
    proposals: tuple[Block, ...]          # waiting for a decision
    to_activate: tuple[Block, ...]        # approved, waiting for an operator
    to_confirm: tuple[Block, ...]         # automatic blocks nobody has confirmed yet
    due: tuple[Block, ...]                # active blocks whose review is due

    def __len__(self) -> int:
        return len(self.proposals) + len(self.to_activate) + len(self.to_confirm) + len(self.due)


def review_queue(blocks: Iterable[Block], now: datetime) -> ReviewQueue:
    blocks = sorted(blocks, key=lambda b: b.created_at)
    active = [b for b in blocks if b.status == "active" and (b.expires_at is None or b.expires_at > now)]
    return ReviewQueue(
        proposals=tuple(b for b in blocks if b.status == "proposed"),
        to_activate=tuple(b for b in blocks if b.status == "approved"),
        to_confirm=tuple(b for b in active if b.automatic and not b.confirmed_by),
        due=tuple(b for b in active if not (b.automatic and not b.confirmed_by)
                  and b.review_at is not None and b.review_at <= now),
    )


# ----- the burst rule ----------------------------------------------------------------------

def judged_regular(call: PastCall) -> bool:
    """A call an agent served as a regular caller (not merely the coach's first guess)."""
    return call.caller_class is CallerClass.REGULAR and (call.corrected or call.disposition == "resolved")


def burst_evidence(rules: BlockRules, number: str, calls: Sequence[tuple[str, PastCall]],
                   now: datetime) -> tuple[str, ...] | None:
    """The ids of the calls that make `number` a burst now, or None.

    `calls`: (call id, call) of the number, any order. A burst: within a window of
    `minutes` that ends in the last `minutes`, at least `calls` calls of which at least
    `no_value` were judged no-value by agents. Never for a number on the never-block list or
    with `regular_calls` calls judged regular in the last `regular_days`.
    """
    rule = rules.burst
    if number in rules.never_block:
        return None
    since = now - timedelta(days=rule.regular_days)
    if sum(1 for _, c in calls if c.started_at >= since and judged_regular(c)) >= rule.regular_calls:
        return None
    width = timedelta(minutes=rule.minutes)
    ordered = sorted(((cid, c) for cid, c in calls if c.started_at <= now), key=lambda x: x[1].started_at)
    start, found = 0, None
    for end, (_, last) in enumerate(ordered):
        while ordered[start][1].started_at <= last.started_at - width:
            start += 1
        if last.started_at < now - width:
            continue
        window = ordered[start:end + 1]
        if (len(window) >= rule.calls
                and sum(1 for _, c in window if c.judged() is CallerClass.NO_VALUE) >= rule.no_value):
            found = tuple(cid for cid, _ in window)      # the latest such window is the evidence
    return found


# ----- what a card shows about a number ----------------------------------------------------

def note_for(blocks: Iterable[Block], now: datetime, lifted_shown: timedelta) -> BlockNote | None:
    """An active block first, else one lifted within `lifted_shown`, else a proposal waiting."""
    blocks = list(blocks)
    for b in blocks:
        if b.status == "active" and (b.expires_at is None or b.expires_at > now):
            return BlockNote("active", b.reason, b.expires_at)
    lifted = [b.ended_at or b.expires_at for b in blocks if b.status in LIFTED or b.status == "active"]
    lifted = [t for t in lifted if t is not None and now - lifted_shown <= t <= now]
    if lifted:
        return BlockNote("lifted", "", max(lifted))
    for b in blocks:
        if b.status in ("proposed", "approved"):
            return BlockNote("proposed", b.reason, None)
    return None

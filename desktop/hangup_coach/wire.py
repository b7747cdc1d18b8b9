"""What travels between a card and the server (docs/sync-api.md): limits, field lists, validation.

Pure: no sockets, files or clock. The server validates every pushed batch with `parse_push`; the
client builds its payloads from the same field lists, so both sides agree on one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from .core.callers import SUB_REASONS, CallerClass, EndedBy, SubReason

# The protocol: every request says which it speaks (header PROTOCOL_HEADER; none = 1, the cards
# from before it), and every answer says the server's. A server answers any version from
# MIN_PROTOCOL up, newer ones too (a newer card's unknown fields are kept, see check_fields).
PROTOCOL = 2
MIN_PROTOCOL = 1
PROTOCOL_HEADER = "Hangup-Protocol"
MAX_SKEW_SECONDS = 300            # a card's clock further off than this is corrected for, and told
MAX_UNKNOWN_FIELDS = 32           # fields a newer card may add to a record, kept as sent

MAX_RECORDS = 500                 # records per push
MAX_BODY_BYTES = 2_000_000        # bytes per push request
MAX_PULL_LIMIT = 1000             # rows per pull page
DEFAULT_PULL_LIMIT = 500
NOTE_LIMIT = 20_000               # characters of a note (as the local store, store/calls.py)
MAX_VERSION = 2**53 - 1           # exact in every JSON reader
PROFILE_DAYS = 30                 # a profile's evidence: the number's calls of the last 30 days...
PROFILE_EVIDENCE = 50             # ...newest first, at most this many

KINDS = ("call", "note", "qa_review", "block_proposal")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")     # a UUID, or the demo's "seed-1"
_E164 = re.compile(r"\+[1-9][0-9]{5,14}")                 # "+" and 6-15 digits
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")                 # dispositions, reason keys


class WireError(ValueError):
    """A pushed batch or a request parameter is not acceptable; `index` names the bad record."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


class UpgradeRequired(WireError):
    """A record only a newer card sends correctly (an old card deciding a block): 422 with
    `upgrade_required`, so the card keeps the rest of its batch."""


UPGRADE_BLOCK = ("this card is too old to change a block's status ({status!r}); block decisions are made on "
                 "the server now: upgrade Hangup Coach (nothing of this batch was stored)")


class NewerThanServer(WireError):
    """A record of a newer card that this server cannot act on yet (a kind it does not know, a value
    it would have to act on): 422 with `newer_than_server`; the card keeps the record and sends it
    again once the server says it is another version (docs/sync-api.md "Versions")."""


class BadParameter(WireError):
    """A pull's query parameter is not acceptable (400, where a bad record is a 422)."""


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and _E164.fullmatch(value) is not None


def parse_utc(value: Any) -> datetime:
    """An ISO-8601 time with a UTC offset of zero ("...+00:00" or "...Z"); ValueError otherwise."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not an ISO-8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 time") from None
    if parsed.tzinfo is None or parsed.utcoffset().total_seconds() != 0:
        raise ValueError("not in UTC (needs +00:00 or Z)")
    return parsed


def canonical_time(value: str) -> str:
    """One fixed-width spelling of a UTC time, so the database can compare times as text."""
    return parse_utc(value).astimezone(timezone.utc).isoformat(timespec="microseconds")


_CLASSES = frozenset(c.value for c in CallerClass)
_SUB_REASONS = frozenset(s.value for s in SubReason)


# ----- field checkers: each returns None when the value is fine, else what is wrong -------------------
Check = Callable[[Any], "str | None"]


def text(limit: int, empty: bool = True) -> Check:
    def check(v):
        if not isinstance(v, str):
            return "must be a string"
        if not empty and not v.strip():
            return "must not be empty"
        return f"longer than {limit} characters" if len(v) > limit else None
    return check


def key() -> Check:
    return lambda v: None if isinstance(v, str) and _KEY.fullmatch(v) else "must be a lower-case key (a-z, 0-9, _)"


def ident() -> Check:
    return lambda v: None if isinstance(v, str) and _ID.fullmatch(v) else "must be an id (a UUID)"


def number() -> Check:
    return lambda v: None if is_e164(v) else "must be an E.164 number (+ and 6-15 digits)"


def time() -> Check:
    def check(v):
        try:
            parse_utc(v)
        except ValueError as exc:
            return str(exc)
        return None
    return check


def count(limit: int = 100_000) -> Check:
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            return "must be an integer"
        return None if 0 <= v <= limit else f"must be between 0 and {limit}"
    return check


def flag() -> Check:
    return lambda v: None if v in (0, 1) and (isinstance(v, (bool, int))) else "must be 0/1 or true/false"


def one_of(values) -> Check:
    allowed = tuple(values)
    return lambda v: None if isinstance(v, str) and v in allowed else f"must be one of {', '.join(map(repr, allowed))}"


def json_value(limit: int = 20_000) -> Check:
    """Free-form answers (QA forms): JSON of bounded size."""
    def check(v):
        import json
        try:
            size = len(json.dumps(v, ensure_ascii=False))
        except (TypeError, ValueError):
            return "must be JSON"
        return f"larger than {limit} characters" if size > limit else None
    return check


@dataclass(frozen=True)
class Field:
    check: Check
    required: bool = False
    nullable: bool = False
    # A value this version does not know but shaped like a key (a newer card's enum value): "keep"
    # it as sent (the server only stores and relays it), or "wait" (the server would have to act
    # on it: NewerThanServer); "" refuses it like any bad value.
    newer: str = ""


# The local `calls` row (README, "Local database"), as the client sends it.
CALL_FIELDS: dict[str, Field] = {
    "id": Field(ident()),
    "agent_id": Field(text(64, empty=False), required=True),
    "caller_number": Field(number(), nullable=True),
    "caller_raw": Field(text(64)),
    "line_call_id": Field(text(256), nullable=True),
    "started_at": Field(time(), required=True),
    "answered_at": Field(time(), nullable=True),
    "ended_at": Field(time(), nullable=True),
    "ended_by": Field(one_of(e.value for e in EndedBy), nullable=True, newer="keep"),
    "close_reason": Field(text(500)),
    "caller_class": Field(one_of(c.value for c in CallerClass), required=True, newer="keep"),
    "sub_reason": Field(one_of(s.value for s in SubReason), newer="keep"),
    "class_reason": Field(text(500)),
    "class_reason_key": Field(text(64)),
    "class_source": Field(one_of(("auto", "agent")), newer="keep"),
    "explanations": Field(count()),
    "warnings": Field(count()),
    "closure_confirmed_at": Field(time(), nullable=True),
    "hangup_allowed_at": Field(time(), nullable=True),
    "hangup_prompted_at": Field(time(), nullable=True),
    "customer_hung_up_in_grace": Field(flag()),
    "agent_ended_early": Field(flag()),
    "disposition": Field(key(), nullable=True),
    "wrapped_up_at": Field(time(), nullable=True),
    "policy_misfit": Field(key(), nullable=True),      # the agent's "the policy did not fit", a preset reason
    "updated_at": Field(time(), required=True),
}

NOTE_FIELDS: dict[str, Field] = {
    "id": Field(ident()),
    "call_id": Field(ident(), required=True),
    "text": Field(text(NOTE_LIMIT), required=True),
    "created_at": Field(time(), required=True),
    "updated_at": Field(time(), required=True),
}

# A block proposal from a card (the local `blocklist` row as proposed). Deciding, activating and
# lifting are the server's commands (/v1/blocklist/...), never a push: a pushed status is "proposed".
BLOCK_FIELDS: dict[str, Field] = {
    "id": Field(ident()),
    "agent_id": Field(text(64, empty=False)),
    "number": Field(number(), required=True),
    "scope": Field(one_of(("day", "week", "month", "permanent")), required=True, newer="wait"),
    "reason": Field(key(), required=True),                     # a preset key of the centre's rules
    "status": Field(one_of(("proposed",)), required=True),
    "call_id": Field(ident(), nullable=True),                  # the call it was proposed on (evidence)
    "created_at": Field(time(), required=True),
    "updated_at": Field(time()),
}

# A reviewer's review of one call of a QA batch (store/qa.py). The server (server/domain/qa.py)
# checks the call is in a batch of the reviewer's scope and the answers fit the form it locked.
QA_REVIEW_FIELDS: dict[str, Field] = {
    "id": Field(ident()),
    "batch_id": Field(ident(), required=True),
    "call_id": Field(ident(), required=True),
    "agent_id": Field(text(64), required=True),
    "reviewer_id": Field(text(64), required=True),
    "form_name": Field(key(), required=True),
    "form_version": Field(count(), required=True),
    "form_fingerprint": Field(text(64), required=True),
    "answers": Field(json_value(), required=True),
    "created_at": Field(time(), required=True),
    "updated_at": Field(time(), required=True),
}

FIELDS: dict[str, dict[str, Field]] = {
    "call": CALL_FIELDS, "note": NOTE_FIELDS, "qa_review": QA_REVIEW_FIELDS, "block_proposal": BLOCK_FIELDS,
}

# What a profile's evidence rows carry (the client's `team_calls`, plus caller_number = the profile's number).
EVIDENCE_FIELDS = ("call_id", "agent_id", "started_at", "caller_class", "sub_reason", "class_source",
                   "warnings", "explanations", "disposition")


@dataclass(frozen=True)
class Record:
    kind: str
    id: str
    version: int
    data: dict

    @property
    def owner(self) -> str | None:
        """The agent the record says it belongs to (calls always say; others may). A review is its
        reviewer's own record; its `agent_id` names whose call was reviewed."""
        return self.data.get("reviewer_id" if self.kind == "qa_review" else "agent_id")

    @property
    def number(self) -> str | None:
        return self.data.get("caller_number") if self.kind == "call" else self.data.get("number")

    @property
    def started_at(self) -> str | None:
        return canonical_time(self.data["started_at"]) if self.kind == "call" else None

    @property
    def call_id(self) -> str | None:
        return self.data.get("call_id")

    @property
    def on_own_call(self) -> bool:
        """Notes belong to their call's agent; a review may be of anyone's call."""
        return self.kind == "note"


@dataclass(frozen=True)
class Push:
    device_id: str
    records: tuple[Record, ...]
    sent_at: str | None = None        # the card's clock when it sent the batch (canonical UTC)


def parse_push(body: Any) -> Push:
    """Validate a whole push body; WireError (with the record's index) at the first problem."""
    if not isinstance(body, dict):
        raise WireError("the body must be a JSON object")
    if ident()(body.get("device_id")):
        raise WireError("device_id must be the device's id")
    records = body.get("records")
    if not isinstance(records, list):
        raise WireError("records must be a list")
    if len(records) > MAX_RECORDS:
        raise WireError(f"at most {MAX_RECORDS} records per push (got {len(records)})")
    parsed, seen = [], set()
    for index, raw in enumerate(records):
        try:
            record = parse_record(raw)
        except WireError as exc:
            raise type(exc)(f"record {index}: {exc.message}", index) from None
        if (record.kind, record.id) in seen:
            raise WireError(f"record {index}: {record.kind} {record.id} appears twice in the batch", index)
        seen.add((record.kind, record.id))
        parsed.append(record)
    sent_at = body.get("sent_at")
    if sent_at is not None:
        try:
            sent_at = canonical_time(sent_at)
        except ValueError as exc:
            raise WireError(f"sent_at {exc}") from None
    return Push(body["device_id"], tuple(parsed), sent_at)


def parse_record(raw: Any) -> Record:
    if not isinstance(raw, dict):
        raise WireError("must be an object")
    kind = raw.get("kind")
    if kind not in FIELDS:
        if isinstance(kind, str) and _KEY.fullmatch(kind):
            raise NewerThanServer(f"this server does not know records of kind {kind!r} yet (it knows "
                                  f"{', '.join(KINDS)}): the card keeps it until the server is upgraded")
        raise WireError(f"kind must be one of {', '.join(KINDS)}")
    if ident()(raw.get("id")):
        raise WireError("id must be an id (a UUID)")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise WireError("version must be an integer ≥ 1")
    data = raw.get("data")
    if not isinstance(data, dict):
        raise WireError("data must be an object")
    status = data.get("status")
    if kind == "block_proposal" and isinstance(status, str) and status != "proposed":
        raise UpgradeRequired(UPGRADE_BLOCK.format(status=status))      # before the field checks: say why
    check_fields(data, FIELDS[kind])
    if "id" in data and data["id"] != raw["id"]:
        raise WireError("data.id differs from the record's id")
    if kind == "call":
        check_sub_reason(data)
    return Record(kind, raw["id"], version, data)


def check_fields(data: dict, fields: dict[str, Field]) -> None:
    """Each known field checked; fields this version does not know (a newer card's) are kept as
    sent, if their names are keys and there are not too many (their size is bounded by the body's)."""
    unknown = set(data) - set(fields)
    if len(unknown) > MAX_UNKNOWN_FIELDS:
        raise WireError(f"more than {MAX_UNKNOWN_FIELDS} unknown fields")
    for name in sorted(unknown):
        if not isinstance(name, str) or not _KEY.fullmatch(name):
            raise WireError(f"unknown field {str(name)[:40]!r} is not a lower-case key")
    for name, field in fields.items():
        if name not in data:
            if field.required:
                raise WireError(f"{name} is missing")
            continue
        value = data[name]
        if value is None:
            if not field.nullable:
                raise WireError(f"{name} must not be null")
            continue
        problem = field.check(value)
        if problem and field.newer and isinstance(value, str) and _KEY.fullmatch(value):
            if field.newer == "keep":
                continue                  # a newer card's value: stored and relayed as sent
            raise NewerThanServer(f"{name} {value!r} is newer than this server ({problem}): "
                                  "the card keeps the record until the server is upgraded")
        if problem:
            raise WireError(f"{name} {problem}")


def check_sub_reason(data: dict) -> None:
    """The pair must fit, when this version knows both (a newer card's values are kept as sent)."""
    if data["caller_class"] not in _CLASSES or data.get("sub_reason", "") not in _SUB_REASONS:
        return
    caller_class = CallerClass(data["caller_class"])
    sub = SubReason(data.get("sub_reason", ""))
    if sub not in SUB_REASONS[caller_class]:
        raise WireError(f"sub_reason {sub.value!r} does not belong to caller_class {caller_class.value!r}")


# ----- pull parameters ----------------------------------------------------------------------------------
def parse_protocol(value: str | None) -> int:
    """A request's protocol version (header PROTOCOL_HEADER; absent = 1); BadParameter if garbled."""
    if value is None:
        return 1
    if not value.isdigit() or len(value) > 6:
        raise BadParameter(f"{PROTOCOL_HEADER} must be a whole number")
    return int(value)


def parse_cursor(value: str | None) -> tuple[int, int]:
    """The position of a pull: opaque to clients; "" = the start. The server's change stamp
    (transaction, seq) as "tx.seq", or "seq" alone for tx 0 (every cursor given out before stamps)."""
    if not value:
        return 0, 0
    parts = value.split(".")
    if len(parts) > 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise BadParameter("since is not a cursor this server gave out")
    return (0, int(parts[0])) if len(parts) == 1 else (int(parts[0]), int(parts[1]))


def make_cursor(tx: int, seq: int) -> str:
    return f"{tx}.{seq}" if tx else str(seq)


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PULL_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_PULL_LIMIT:
        raise BadParameter(f"limit must be an integer from 1 to {MAX_PULL_LIMIT}")
    return int(value)

"""The generic CTI source's wire format: one JSON object per line (see docs/softphones.md). No Qt.

    {"event": "ringing" | "answered" | "held" | "resumed" | "ended", "call_id": "...", "number": "...",
     "ended_by": "agent" | "customer" | "system" | "unknown", "reason": "...", "at": 1764775201.25}
    {"event": "calls", "calls": [{"call_id": "...", "state": "ringing" | "talking" | "held",
                                  "number": "...", "connected_for": 12.5, "started_for": 20.0}, ...]}

`event` and `call_id` are required; `number`, `ended_by`, `reason` and `at` (when it happened on the
line: Unix seconds, or ISO 8601 with its UTC offset) are optional. `calls` is the bridge's list of the
calls it has now: the card reconciles with it as with baresip's `listcalls`.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

from ..core.callers import EndedBy

from ..core.events import CallEvent, EventKind, LineCall
from ..core.text import CALL_ID_LIMIT, NUMBER_LIMIT, REASON_LIMIT, clean_line
from .jsonpayload import BadMessage, json_object, optional_str

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024
MAX_LISTED = 64            # calls in one `calls` message (an agent has a handful at most)
LIST_STATES = {"ringing": (False, False), "talking": (True, False), "held": (True, True)}   # answered, held


def parse_line(line: bytes) -> CallEvent | list[LineCall]:
    """One line (without its newline): a call event, or the bridge's live-call list.
    Raises BadMessage for anything unusable."""
    msg = json_object(line)
    if msg.get("event") == "calls":
        return _parse_calls(msg)
    try:
        kind = EventKind(msg.get("event"))
    except ValueError:
        raise BadMessage(f"unknown event {str(msg.get('event'))[:40]!r}") from None
    call_id = clean_line(optional_str(msg, "call_id"), CALL_ID_LIMIT)
    if not call_id:
        raise BadMessage("no call_id")
    who = optional_str(msg, "ended_by")
    try:
        by = EndedBy(who or EndedBy.UNKNOWN.value)
    except ValueError:
        # An end must not be lost over a bad attribution: keep it as unknown.
        log.warning("call %s: ended_by %r is not one of agent/customer/system/unknown", call_id, who[:40])
        by = EndedBy.UNKNOWN
    number = clean_line(optional_str(msg, "number"), NUMBER_LIMIT) or None
    return CallEvent(kind, call_id, number, by, clean_line(optional_str(msg, "reason"), REASON_LIMIT),
                     at=_line_time(call_id, msg.get("at")))


def _line_time(call_id: str, at) -> datetime | None:
    """`at`: Unix seconds, or ISO 8601 with its UTC offset. A bad one is logged and the event kept
    (dated when it is read): an end must not be lost over its time."""
    if at is None:
        return None
    try:
        if isinstance(at, (int, float)) and not isinstance(at, bool):
            return datetime.fromtimestamp(at, timezone.utc)
        if isinstance(at, str):
            when = datetime.fromisoformat(at)
            if when.tzinfo is not None:
                return when.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    log.warning("call %s: 'at' %r is not Unix seconds or ISO 8601 with a UTC offset; dated when read",
                call_id, str(at)[:40])
    return None


def _parse_calls(msg: dict) -> list[LineCall]:
    """`{"event": "calls", "calls": [...]}`: all or nothing (a half-read list would end live calls)."""
    items = msg.get("calls")
    if not isinstance(items, list):
        raise BadMessage("'calls' must be a list")
    if len(items) > MAX_LISTED:
        raise BadMessage(f"'calls' lists {len(items)} calls; at most {MAX_LISTED}")
    calls = []
    for item in items:
        if not isinstance(item, dict):
            raise BadMessage("each of 'calls' must be an object")
        call_id = clean_line(optional_str(item, "call_id"), CALL_ID_LIMIT)
        state = optional_str(item, "state")
        if not call_id or state not in LIST_STATES:
            raise BadMessage(f"each of 'calls' needs a call_id and a state ({'/'.join(LIST_STATES)})")
        answered, held = LIST_STATES[state]
        connected_for, started_for = _seconds(item, "connected_for"), _seconds(item, "started_for")
        number = clean_line(optional_str(item, "number"), NUMBER_LIMIT) or None
        calls.append(LineCall(call_id, number, answered, held, connected_for if answered else None,
                              started_for if started_for is None or connected_for is None
                              else max(started_for, connected_for)))
    return calls


def _seconds(item: dict, key: str) -> float | None:
    value = item.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not math.isfinite(value) or not 0 <= value < 86400 * 7):
        raise BadMessage(f"{key!r} must be seconds (a number from 0 to a week)")
    return None if value is None else float(value)


class LineSplitter:
    """Bytes in, complete lines out; a line longer than `max_len` is dropped whole, up to its newline."""

    def __init__(self, max_len: int = MAX_LINE) -> None:
        self.max_len = max_len
        self._buf = bytearray()
        self._discarding = False
        self.skipped = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def head(self, size: int) -> bytes:
        """The start of the line not yet complete (to recognise what is talking before its newline)."""
        return bytes(self._buf[:size])

    def feed(self, data: bytes) -> list[bytes]:
        lines = []
        self._buf += data
        while True:
            newline = self._buf.find(b"\n")
            if newline < 0:
                break
            line = bytes(self._buf[:newline]).rstrip(b"\r")
            del self._buf[:newline + 1]
            if self._discarding:
                self._discarding = False
            elif line.strip():
                lines.append(line)
        if self._discarding:
            self._buf.clear()
        elif len(self._buf) > self.max_len:
            self.skipped += 1
            log.warning("dropping a line longer than %d bytes", self.max_len)
            self._buf.clear()
            self._discarding = True
        return lines

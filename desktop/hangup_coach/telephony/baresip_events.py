"""baresip ctrl_tcp messages → CallEvents: parsing, who ended the call, the caller's number. No Qt.

Facts this relies on (baresip 1.0, measured; see docs/softphones.md):
- `id` is the same on every event of one call (the SIP Call-ID for incoming calls);
- answermode=manual starts a call with CALL_INCOMING, answermode=auto with some other event
  (CALL_REMOTE_SDP), so the first event of a new id is the ring;
- CALL_CLOSED's `param` is free text: "Connection reset by user" when this softphone hung up,
  "Connection reset by peer" when the far end did (BYE, or CANCEL while ringing);
- `hangup` and `accept` take no call id: they act on baresip's current call, which
  `callfind <Call-ID>` sets (that command exists only while baresip has a call);
- `listcalls` gives line numbers, states and peers but no ids; `line <n>` then `callstat`
  gives the id of the call on line n.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote

from ..core.callers import EndedBy
from ..core.events import CallEvent, EventKind, LineCall
from .jsonpayload import BadMessage, json_object, optional_str

CLOSED_BY = {
    "Connection reset by user": EndedBy.AGENT,
    "Connection reset by peer": EndedBy.CUSTOMER,
}
HANGUP_ACCEPTED = "hangup accepted by baresip"


@dataclass(frozen=True)
class LineEvent:
    type: str
    call_id: str      # "" when baresip gave none (the first event of an outgoing call)
    peeruri: str
    param: str


@dataclass(frozen=True)
class Reply:
    token: str
    ok: bool
    data: str


def parse_message(payload: bytes) -> LineEvent | Reply:
    """One ctrl_tcp netstring payload. Raises BadMessage for anything unusable."""
    msg = json_object(payload)
    if msg.get("event") is True:
        kind = msg.get("type")
        if not isinstance(kind, str) or not kind:
            raise BadMessage("event without a type")
        return LineEvent(kind, optional_str(msg, "id"), optional_str(msg, "peeruri"), optional_str(msg, "param"))
    if msg.get("response") is True:
        ok = msg.get("ok")
        if not isinstance(ok, bool):
            raise BadMessage("response without a true/false 'ok'")
        return Reply(optional_str(msg, "token"), ok, optional_str(msg, "data"))
    raise BadMessage("neither an event nor a response")


_URI = re.compile(r"(?i)^\s*<?\s*(sips?|tel):([^>]*)")


def caller_number(peeruri: str) -> str | None:
    """The user part of a SIP URI (`sip:13800138000@host` → `13800138000`), or a tel: number.

    Not validated: the coach normalises it (a withheld or non-numeric caller becomes unknown).
    """
    found = _URI.match(peeruri or "")
    if found is None:
        return None
    scheme, rest = found.group(1).lower(), found.group(2)
    if scheme != "tel":
        if "@" not in rest:
            return None  # sip:host has no user part
        rest = rest.split("@", 1)[0].split(":", 1)[0]  # drop host, then any password
    user = unquote(re.split(r"[;?]", rest, maxsplit=1)[0]).strip()
    return user[:64] or None


def ended_by(close_reason: str) -> EndedBy:
    return CLOSED_BY.get(close_reason.strip(), EndedBy.UNKNOWN)


@dataclass(frozen=True)
class Listed:
    """One call as baresip's text shows it (`listcalls` line or `callstat` dump)."""

    line: int
    state: str        # INCOMING, ESTABLISHED, RINGING, …
    peeruri: str
    held: bool = False
    call_id: str = ""
    duration: float | None = None   # listcalls' H:MM:SS: how long the call has been connected

    @property
    def answered(self) -> bool:
        return self.state == "ESTABLISHED"


_LISTED_CALL = re.compile(r"\[line (\d+)\]\s+(\S+)\s+([A-Z_]+)\s+(\(on hold\)\s+)?(\S+)\s*$")
_DURATION = re.compile(r"(\d+):(\d\d):(\d\d)")


def parse_listcalls(data: str) -> list[Listed] | None:
    """The calls in a `listcalls` reply; None when the text is not one."""
    if "Active calls" not in data:
        return None
    return [Listed(int(m.group(1)), m.group(3), m.group(5), bool(m.group(4)), duration=_seconds(m.group(2)))
            for line in data.splitlines() if (m := _LISTED_CALL.search(line))]


def _seconds(text: str) -> float | None:
    found = _DURATION.fullmatch(text)
    return None if found is None else int(found.group(1)) * 3600 + int(found.group(2)) * 60 + int(found.group(3))


_STAT_STATE = re.compile(r"===== Call debug \(([A-Z_]+)\) =====")
_STAT_ID = re.compile(r"\bid=(\S+)")
_STAT_PEER = re.compile(r"peer_uri:.*<([^>]+)>")


def parse_callstat(data: str) -> Listed | None:
    """The current call's state, peer and id from a `callstat` reply; None if it has none."""
    state, call_id, peer = _STAT_STATE.search(data), _STAT_ID.search(data), _STAT_PEER.search(data)
    if not (state and call_id and peer):
        return None
    return Listed(0, state.group(1), peer.group(1), call_id=call_id.group(1))


def selected(reply: Reply) -> bool:
    """Whether a `callfind`/`line` reply says baresip's current call is now the one asked for."""
    return reply.ok and reply.data.startswith("setting current call")


@dataclass
class _Call:
    number: str | None
    peeruri: str
    answered: bool = False
    agent_hanging_up: bool = False
    media: bool = False    # an SDP or ESTABLISHED event came: baresip is answering it
    held: bool = False


class CallTracker:
    """Follows baresip's calls by id and says what each line event means for the coach."""

    def __init__(self) -> None:
        self._open: dict[str, _Call] = {}
        # Ids already closed: a late event for one must not ring a phantom call.
        self._closed: deque[str] = deque(maxlen=256)
        self._touched: set[str] = set()   # ids with an event since the last mark(), for reconcile

    @property
    def open_ids(self) -> list[str]:
        return list(self._open)

    def talking(self, call_id: str) -> bool:
        call = self._open.get(call_id)
        return call is not None and call.answered and not call.held

    def media_seen(self, call_id: str) -> bool:
        call = self._open.get(call_id)
        return call is not None and call.media

    def on_event(self, event: LineEvent) -> list[CallEvent]:
        if not event.type.startswith("CALL_") or not event.call_id or event.call_id in self._closed:
            return []
        self._touched.add(event.call_id)
        call = self._open.get(event.call_id)
        if event.type == "CALL_CLOSED":
            number = call.number if call else caller_number(event.peeruri)
            by = EndedBy.AGENT if call and call.agent_hanging_up else ended_by(event.param)
            return [self._close(event.call_id, number, by, event.param)]
        out = []
        if call is None:
            call = self._open[event.call_id] = _Call(caller_number(event.peeruri), event.peeruri)
            out.append(CallEvent(EventKind.RINGING, event.call_id, call.number))
        if event.type in ("CALL_REMOTE_SDP", "CALL_LOCAL_SDP", "CALL_ESTABLISHED"):
            call.media = True
        if event.type == "CALL_ESTABLISHED" and not call.answered:
            call.answered = True
            out.append(CallEvent(EventKind.ANSWERED, event.call_id, call.number))
        return out

    def agent_hangs_up(self, call_id: str) -> None:
        """The card sent `hangup` for this call: however the line words the close, the agent ended it."""
        if call_id in self._open:
            self._open[call_id].agent_hanging_up = True

    def hangup_failed(self, call_id: str) -> None:
        if call_id in self._open:
            self._open[call_id].agent_hanging_up = False

    def hangup_accepted(self, call_id: str) -> list[CallEvent]:
        """baresip said ok to our `hangup`; end the call now if CALL_CLOSED has not already done so."""
        call = self._open.get(call_id)
        if call is None or not call.agent_hanging_up:
            return []
        return [self._close(call_id, call.number, EndedBy.AGENT, HANGUP_ACCEPTED)]

    def hold_others(self, call_id: str) -> list[CallEvent]:
        """baresip answered `call_id` with `accept`: it has put every other answered call on hold."""
        out = []
        for other_id, call in self._open.items():
            if other_id != call_id and call.answered and not call.held:
                call.held = True
                out.append(CallEvent(EventKind.HELD, other_id, call.number))
        return out

    def set_held(self, call_id: str, held: bool) -> list[CallEvent]:
        call = self._open.get(call_id)
        if call is None or call.held == held:
            return []
        call.held = held
        return [CallEvent(EventKind.HELD if held else EventKind.RESUMED, call_id, call.number)]

    def mark(self) -> None:
        """A reconcile starts: remember which calls show signs of life from now on."""
        self._touched = set()

    def reconcile(self, listed: list[Listed]) -> list[LineCall]:
        """baresip's own list (ids from callstat) is the truth: take it, and say what the line has.

        Calls that had an event since mark() are on the line whatever the (older) listing said,
        unless they closed meanwhile; a listed call without an id is passed on as such."""
        on_line: dict[str, LineCall] = {}
        anonymous = []
        for item in listed:
            number = caller_number(item.peeruri)
            connected_for = item.duration if item.answered else None   # baresip counts from the answer
            if not item.call_id:
                anonymous.append(LineCall("", number, item.answered, item.held, connected_for))
            elif item.call_id not in self._closed:
                on_line[item.call_id] = LineCall(item.call_id, number, item.answered, item.held, connected_for)
                known = self._open.setdefault(item.call_id, _Call(number, item.peeruri))
                known.answered = known.answered or item.answered
                known.media = known.media or item.answered
                known.held = item.held
        for call_id in self._touched:
            call = self._open.get(call_id)
            if call is not None and call_id not in on_line:
                on_line[call_id] = LineCall(call_id, call.number, call.answered, call.held)
        for call_id in [c for c in self._open if c not in on_line]:
            self._open.pop(call_id)
            self._closed.append(call_id)
        return list(on_line.values()) + anonymous

    def _close(self, call_id: str, number: str | None, by: EndedBy, reason: str) -> CallEvent:
        self._open.pop(call_id, None)
        self._closed.append(call_id)
        return CallEvent(EventKind.ENDED, call_id, number, by, reason)

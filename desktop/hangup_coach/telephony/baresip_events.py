"""baresip ctrl_tcp messages → CallEvents: parsing, who ended the call, the caller's number. No Qt.

Facts this relies on (baresip 1.0, measured; see docs/softphones.md):
- `id` is the same on every event of one call (the SIP Call-ID for incoming calls);
- answermode=manual starts a call with CALL_INCOMING, answermode=auto with some other event
  (CALL_REMOTE_SDP), so the first event of a new id is the ring;
- CALL_CLOSED's `param` is free text: "Connection reset by user" when this softphone hung up,
  "Connection reset by peer" when the far end did (BYE, or CANCEL while ringing);
- `hangup` and `accept` take no call id: they act on baresip's current call.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import unquote

from ..core.callers import EndedBy
from ..core.events import CallEvent, EventKind
from .jsonpayload import BadMessage, json_object, optional_str

CLOSED_BY = {
    "Connection reset by user": EndedBy.AGENT,
    "Connection reset by peer": EndedBy.CUSTOMER,
}
LOST_OFFLINE = "lost while softphone offline"
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


_LISTED_CALL = re.compile(r"\[line \d+\].*\s(\S+)\s*$")


def listed_peers(listcalls_data: str) -> list[str] | None:
    """Peer URIs from the text of a `listcalls` reply; None when the text is not one."""
    if "Active calls" not in listcalls_data:
        return None
    return [m.group(1) for line in listcalls_data.splitlines() if (m := _LISTED_CALL.search(line))]


@dataclass
class _Call:
    number: str | None
    peeruri: str
    answered: bool = False
    agent_hanging_up: bool = False


class CallTracker:
    """Follows baresip's calls by id and says what each line event means for the coach."""

    def __init__(self) -> None:
        self._open: dict[str, _Call] = {}
        # Ids already closed: a late event for one must not ring a phantom call.
        self._closed: deque[str] = deque(maxlen=256)

    @property
    def open_ids(self) -> list[str]:
        return list(self._open)

    def on_event(self, event: LineEvent) -> list[CallEvent]:
        if not event.type.startswith("CALL_") or not event.call_id or event.call_id in self._closed:
            return []
        call = self._open.get(event.call_id)
        if event.type == "CALL_CLOSED":
            number = call.number if call else caller_number(event.peeruri)
            by = EndedBy.AGENT if call and call.agent_hanging_up else ended_by(event.param)
            return [self._close(event.call_id, number, by, event.param)]
        out = []
        if call is None:
            call = self._open[event.call_id] = _Call(caller_number(event.peeruri), event.peeruri)
            out.append(CallEvent(EventKind.RINGING, event.call_id, call.number))
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

    def reconcile(self, listed: list[str]) -> list[CallEvent]:
        """After a reconnect: end every call we think open that baresip no longer lists."""
        still = Counter(listed)
        out = []
        for call_id, call in list(self._open.items()):
            if still[call.peeruri] > 0:
                still[call.peeruri] -= 1
            else:
                out.append(self._close(call_id, call.number, EndedBy.UNKNOWN, LOST_OFFLINE))
        return out

    def _close(self, call_id: str, number: str | None, by: EndedBy, reason: str) -> CallEvent:
        self._open.pop(call_id, None)
        self._closed.append(call_id)
        return CallEvent(EventKind.ENDED, call_id, number, by, reason)

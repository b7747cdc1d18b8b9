"""CallEvent: what a softphone adapter tells the coach. Adapters translate, they do not decide."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .callers import EndedBy


class EventKind(str, Enum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


@dataclass(frozen=True)
class CallEvent:
    kind: EventKind
    call_id: str                 # the line's correlation key (SIP Call-ID for baresip)
    number: str | None = None    # as the line gave it; the coach normalises
    ended_by: EndedBy = EndedBy.UNKNOWN
    close_reason: str = ""       # raw text from the line, kept for QA

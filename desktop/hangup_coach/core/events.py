"""What a softphone adapter tells the coach. Adapters translate, they do not decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from .callers import EndedBy

#: close_reason of a call the card had open but the line no longer has (found when reconciling)
NOT_ON_LINE = "not on the line when the card (re)connected"
#: close_reason of a call the line said nothing about for longer than the stale-call limit
STALE = "no word from the line for longer than the stale-call limit"
#: close_reason prefix of a call the agent closed on the card (the line never said it ended)
CLOSED_ON_CARD = "closed on the card by the agent"


class EventKind(str, Enum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    HELD = "held"          # the softphone put the call on hold (it answered another one)
    RESUMED = "resumed"    # taken off hold
    BUSY = "busy"          # the softphone turned the caller away itself (all lines busy): recorded, never rings


@dataclass(frozen=True)
class CallEvent:
    kind: EventKind
    call_id: str                 # the line's correlation key (SIP Call-ID for baresip)
    number: str | None = None    # as the line gave it; the coach normalises
    ended_by: EndedBy = EndedBy.UNKNOWN
    close_reason: str = ""       # raw text from the line, kept for QA
    backlog: bool = False        # the call's end was already read with it (a bridge's backlog): the call is
                                 # recorded, but it never moves the focus (the agent is not talking to it)
    at: datetime | None = None   # when it happened, where the line says so (a JSON bridge's `at`): the card
                                 # may read it late (frozen, suspended, a backlog); else when it is read


@dataclass(frozen=True)
class LineCall:
    """One call the softphone says it has now: the truth the card reconciles with after (re)connecting.

    `call_id` is "" when the softphone could not say which call it is; the coach then matches it
    by number and state (see docs/softphones.md for what stays ambiguous).
    """

    call_id: str
    number: str | None
    answered: bool
    held: bool = False
    connected_for: float | None = None   # seconds since it was answered, where the line says so
    started_for: float | None = None     # seconds since it began ringing, where the line says so

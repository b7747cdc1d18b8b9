"""What the card shows for the call on it, computed from the call and the policy.

The card only renders this: which rows and buttons apply, the counters against their limits,
whether the policy allows ending the call yet, what the wrap-up suggests. Every rule about
*what applies when* lives here, testable without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from .callers import CallerClass, EndedBy, SubReason
from .coach import CallSession, Phase
from .events import CLOSED_ON_CARD, STALE
from .phone import mask
from .policy import Policy
from .scripts import Prompt, ScriptBook

LIVE = (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED)
NOTE_PREVIEW = 40   # characters of a wrapped-up call's unsaved note shown on the card


@dataclass(frozen=True)
class Counter:
    count: int
    limit: int
    button: bool          # the +1 button applies now

    @property
    def reached(self) -> bool:
        return self.count >= self.limit


@dataclass(frozen=True)
class Line:
    """What the softphone can do, as far as the card needs it."""

    can_answer: bool = False
    can_hang_up: bool = False


@dataclass(frozen=True)
class CardView:
    call_id: str
    phase: Phase
    caller_class: CallerClass
    badge: str
    number: str
    reason: str
    ringing: bool
    answer_button: bool
    explanations: Counter | None      # None: does not apply to this call, hidden
    warnings: Counter | None
    closure_button: bool              # "customer needs nothing else"
    cancel_closure_button: bool
    grace_running: bool
    left_in_grace: bool
    prompt: Prompt | None
    hang_up_button: bool
    hang_up_allowed: bool             # the policy allows ending the call now: the button says so
    hangs_up_on_line: bool            # the softphone ends the call (else the agent records it)
    customer_hung_up_button: bool
    reclassify_button: bool
    block_button: bool                # no-value caller with a number: propose an IVR block
    flags: tuple[str, ...]            # "early" (ended before the policy allowed), "missed", "rejected", "busy",
                                      # "stale_flag" (closed by the stale-call limit), "closed_on_card_flag"
    wrapup: bool
    ended_by: str
    suggested_disposition: str


def card_view(session: CallSession, policy: Policy, scripts: ScriptBook, line: Line) -> CardView:
    rec, phase, cls = session.record, session.phase, session.caller_class
    live, ringing, ended = phase in LIVE, phase is Phase.RINGING, phase in (Phase.ENDED, Phase.DONE)
    warned_off = cls is CallerClass.NO_VALUE and rec.warnings > 0
    explanations = None
    if not ringing and (cls is CallerClass.NON_REGULAR or rec.explanations > 0):
        explanations = Counter(rec.explanations, policy.explanations_before_polite_end,
                               live and cls is CallerClass.NON_REGULAR)
    warnings = None
    if not ringing and (cls is CallerClass.NO_VALUE or rec.warnings > 0):
        warnings = Counter(rec.warnings, policy.warnings_before_cutoff, live and cls is CallerClass.NO_VALUE)
    flags = []
    if rec.agent_ended_early:
        flags.append("early")
    if ended and rec.disposition == "busy":   # the softphone turned the caller away
        flags.append("busy")
    elif ended and rec.answered_at is None:   # the agent turned it down, or the caller gave up
        flags.append("rejected" if rec.ended_by == EndedBy.AGENT.value else "missed")
    if ended and rec.close_reason == STALE:
        flags.append("stale_flag")
    elif ended and rec.close_reason.startswith(CLOSED_ON_CARD):
        flags.append("closed_on_card_flag")
    return CardView(
        call_id=rec.id, phase=phase, caller_class=cls,
        badge=badge(session, scripts), number=shown_number(session, policy.region), reason=rec.class_reason,
        ringing=ringing, answer_button=ringing and line.can_answer,
        explanations=explanations, warnings=warnings,
        closure_button=phase is Phase.TALKING and not warned_off,
        cancel_closure_button=phase is Phase.GRACE,
        grace_running=phase is Phase.GRACE, left_in_grace=rec.customer_hung_up_in_grace,
        prompt=session.prompt,
        hang_up_button=live or (ringing and line.can_hang_up),
        hang_up_allowed=live and session.hangup_allowed,
        hangs_up_on_line=line.can_hang_up,
        customer_hung_up_button=live and not line.can_hang_up,
        reclassify_button=live or ringing,
        block_button=cls is CallerClass.NO_VALUE and rec.caller_number is not None and not ringing,
        flags=tuple(flags),
        wrapup=phase is Phase.ENDED,
        ended_by=rec.ended_by or EndedBy.UNKNOWN.value,
        suggested_disposition=suggested_disposition(session),
    )


def badge(session: CallSession, scripts: ScriptBook) -> str:
    text = scripts.label("classes", session.caller_class.value)
    if session.sub_reason is not SubReason.NONE:
        text += " · " + scripts.label("sub_reasons", session.sub_reason.value)
    return text


def shown_number(session: CallSession, region: str) -> str:
    """Masked (138****8000); an unreadable number is shown as typed, short, a withheld one as —."""
    rec = session.record
    if rec.caller_number:
        return mask(rec.caller_number, region)
    if session.caller_class is CallerClass.UNKNOWN:
        return "—"
    return rec.caller_raw[:20] or "—"


def suggested_disposition(session: CallSession) -> str:
    rec = session.record
    if rec.disposition:
        return rec.disposition
    if rec.answered_at is None:
        return "missed"
    if session.caller_class is CallerClass.NO_VALUE and rec.warnings:
        return "warned_and_ended"
    if session.caller_class is CallerClass.NON_REGULAR:
        return "explained"
    return "resolved"


def note_preview(text: str, limit: int = NOTE_PREVIEW) -> str:
    """The start of a note on one line: what the card shows of a wrapped-up call's unsaved note."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"

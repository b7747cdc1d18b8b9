"""The coach: one state machine per call, fed by call events and agent actions.

ringing → talking → (explanations / warnings counted) → closure confirmed → grace running
→ hang-up allowed → ended → wrapped up.

It advises and records; it never stops the agent from doing anything. An agent who ends a
call before the policy allows it is recorded (`agent_ended_early`) for QA, not prevented.
The 2-second rule lives here and only here (`_grace_over`).

The coach holds every call on the line at once (call waiting, a call ringing during another's
wrap-up); exactly one is *in focus*: the one the card shows and every agent action applies to.
The focus moves only when the agent moves it (answering a call, picking one on the card) or
when the focused call is wrapped up, never because the line did something: so a note or a
counter can never drift to another call mid-word.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from typing import Callable

from .callers import CallerClass, EndedBy, SubReason, check_sub_reason
from .classify import CallerHistory, Classification, Reason, classify
from .clock import Clock, Scheduler, Timer
from .qa_sheet import MISFIT_REASONS
from .events import NOT_ON_LINE, CallEvent, EventKind, LineCall
from .phone import normalise
from .policy import Policy
from .scripts import Prompt


class Phase(str, Enum):
    RINGING = "ringing"
    TALKING = "talking"
    GRACE = "grace"                  # closure confirmed, the 2-second wait is running
    HANGUP_ALLOWED = "hangup_allowed"
    ENDED = "ended"                  # waiting for the agent's wrap-up
    DONE = "done"                    # wrapped up


@dataclass
class CallRecord:
    """One row of the `calls` table (see README, "Local database")."""

    id: str
    agent_id: str
    caller_number: str | None
    caller_raw: str
    line_call_id: str | None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    close_reason: str = ""
    caller_class: str = CallerClass.UNKNOWN.value
    sub_reason: str = ""
    class_reason: str = ""
    class_reason_key: str = ""
    class_source: str = "auto"
    explanations: int = 0
    warnings: int = 0
    closure_confirmed_at: datetime | None = None
    hangup_allowed_at: datetime | None = None
    hangup_prompted_at: datetime | None = None
    customer_hung_up_in_grace: bool = False
    agent_ended_early: bool = False
    disposition: str | None = None
    wrapped_up_at: datetime | None = None
    updated_at: datetime | None = None
    policy_misfit: str | None = None   # the agent's wrap-up click "the policy did not fit": a preset reason

    def as_row(self) -> dict:
        row = asdict(self)
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = value.isoformat(timespec="milliseconds")
        return row


ReasonRenderer = Callable[[Reason], str]
HistoryLookup = Callable[[str], CallerHistory]


class CallSession:
    def __init__(self, coach: "Coach", record: CallRecord, phase: Phase) -> None:
        self._coach = coach
        self.record = record
        self.phase = phase
        self._grace_timer: Timer | None = None
        self._grace_started: float | None = None
        self.held = False   # on hold on the line (not stored: the line says so again after a restart)

    # ----- what the card shows -------------------------------------------------------------
    @property
    def caller_class(self) -> CallerClass:
        return CallerClass(self.record.caller_class)

    @property
    def sub_reason(self) -> SubReason:
        return SubReason(self.record.sub_reason)

    @property
    def grace_remaining(self) -> float | None:
        if self.phase is not Phase.GRACE or self._grace_started is None:
            return None
        elapsed = self._coach.clock.monotonic() - self._grace_started
        return max(0.0, self._coach.policy.grace_seconds - elapsed)

    @property
    def hangup_allowed(self) -> bool:
        return self.record.hangup_allowed_at is not None

    @property
    def prompt(self) -> Prompt | None:
        """The line the card offers now, or None."""
        policy, rec = self._coach.policy, self.record
        if self.phase in (Phase.RINGING, Phase.ENDED, Phase.DONE):
            return None
        if self.phase is Phase.HANGUP_ALLOWED and rec.closure_confirmed_at is not None:
            return Prompt("closing")
        if self.caller_class is CallerClass.NO_VALUE:
            if rec.warnings >= policy.warnings_before_cutoff:
                return Prompt("ending", self.sub_reason)
            return Prompt("warning", self.sub_reason, allows_hangup=False)
        if (self.caller_class is CallerClass.NON_REGULAR
                and rec.explanations >= policy.explanations_before_polite_end):
            return Prompt("explanation_limit", self.sub_reason)
        return None

    # ----- agent actions ---------------------------------------------------------------------
    def explain(self) -> None:
        """The agent has explained (again) why the request cannot be met."""
        if self._live():
            self.record.explanations += 1
            self._check_thresholds()
            self._changed()

    def warn(self) -> None:
        """The agent has warned the caller (harassment, abuse, out of scope)."""
        if self._live():
            self.record.warnings += 1
            self._check_thresholds()
            self._changed()

    def confirm_closure(self) -> None:
        """The customer said they need nothing else: start the grace wait."""
        if self.phase is not Phase.TALKING:
            return
        self.record.closure_confirmed_at = self._coach.clock.now()
        self.phase = Phase.GRACE
        self._grace_started = self._coach.clock.monotonic()
        self._grace_timer = self._coach.scheduler.call_later(self._coach.policy.grace_seconds, self._grace_over)
        self._changed()

    def cancel_closure(self) -> None:
        """The customer remembered something else: back to talking."""
        if self.phase is Phase.GRACE:
            self._stop_grace()
            self.record.closure_confirmed_at = None
            self.phase = Phase.TALKING
            self._changed()

    def reclassify(self, caller_class: CallerClass, sub: SubReason, reason_text: str) -> None:
        check_sub_reason(caller_class, sub)
        rec = self.record
        rec.caller_class, rec.sub_reason = caller_class.value, sub.value
        rec.class_reason = reason_text.strip() or self._coach.render(Reason("agent", {"text": ""}))
        rec.class_reason_key = "agent"
        rec.class_source = "agent"
        self._check_thresholds()
        self._changed()

    def refresh_class(self) -> bool:
        """Classify again from the history as it is now: the team's evidence (a ring-time lookup)
        arrived after the card showed the local class. An agent's own correction is never
        overridden. True when the class or its reason changed."""
        rec, coach = self.record, self._coach
        if rec.class_source != "auto" or rec.caller_number is None or self.phase in (Phase.ENDED, Phase.DONE):
            return False
        history = coach.history(rec.caller_number)
        earlier = CallerHistory(tuple(c for c in history.past_calls if c.started_at < rec.started_at),
                                history.profile, history.block)   # not this call itself
        found = classify(normalise(rec.caller_number, coach.policy.region), earlier, coach.policy, coach.clock.now())
        text = coach.reason_text(found)
        if (found.caller_class.value, found.sub_reason.value, text) == (rec.caller_class, rec.sub_reason,
                                                                          rec.class_reason):
            return False
        rec.caller_class, rec.sub_reason = found.caller_class.value, found.sub_reason.value
        rec.class_reason, rec.class_reason_key = text, found.reason.key
        self._check_thresholds()
        self._changed()
        return True

    def wrap_up(self, disposition: str, ended_by: EndedBy | None = None, policy_misfit: str | None = None) -> None:
        if disposition not in self._coach.policy.dispositions:
            raise ValueError(f"unknown disposition {disposition!r}")
        if policy_misfit is not None and policy_misfit not in MISFIT_REASONS:
            raise ValueError(f"unknown policy-misfit reason {policy_misfit!r}")
        self.record.policy_misfit = policy_misfit
        if self.phase not in (Phase.ENDED, Phase.DONE):
            raise RuntimeError("wrap-up comes after the call has ended")
        if ended_by is not None:
            self.record.ended_by = ended_by.value
        self.record.disposition = disposition
        self.record.wrapped_up_at = self._coach.clock.now()
        self.phase = Phase.DONE
        self._changed()

    # ----- line events -------------------------------------------------------------------------
    def answered(self) -> None:
        if self.phase is Phase.RINGING:
            self.record.answered_at = self._coach.clock.now()
            self.phase = Phase.TALKING
            self._check_thresholds()
            self._changed()

    def ended(self, by: EndedBy, close_reason: str = "") -> None:
        if self.phase in (Phase.ENDED, Phase.DONE):
            return
        rec = self.record
        rec.ended_at = self._coach.clock.now()
        rec.ended_by = by.value
        rec.close_reason = close_reason[:500]
        self.held = False
        if rec.line_call_id:
            self._coach._finished(rec.line_call_id)
        if self.phase is Phase.GRACE and by is EndedBy.CUSTOMER:
            rec.customer_hung_up_in_grace = True
        if by is EndedBy.AGENT and rec.answered_at is not None and not self.hangup_allowed:
            rec.agent_ended_early = True
        if rec.answered_at is None:
            rec.disposition = "missed" if "missed" in self._coach.policy.dispositions else rec.disposition
        self._stop_grace()
        self.phase = Phase.ENDED
        self._changed()

    def set_held(self, held: bool) -> None:
        if self.held != held and self.phase not in (Phase.ENDED, Phase.DONE):
            self.held = held
            self._changed()

    # ----- internals ---------------------------------------------------------------------------
    def _live(self) -> bool:
        return self.phase in (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED)

    def _grace_over(self) -> None:
        self._grace_timer = None
        if self.phase is Phase.GRACE:
            self._allow()
            self.phase = Phase.HANGUP_ALLOWED
            self._changed()

    def _check_thresholds(self) -> None:
        if self.phase in (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED):
            prompt = self.prompt
            if prompt is not None and prompt.allows_hangup:
                self._allow()

    def _allow(self) -> None:
        if self.record.hangup_allowed_at is None:
            now = self._coach.clock.now()
            self.record.hangup_allowed_at = now
            self.record.hangup_prompted_at = now  # the card shows the line in the same turn

    def _stop_grace(self) -> None:
        if self._grace_timer is not None:
            self._grace_timer.cancel()
            self._grace_timer = None
        self._grace_started = None

    def _changed(self) -> None:
        self.record.updated_at = self._coach.clock.now()
        self._coach._notify(self)


class Coach:
    """Routes call events to sessions and tells its listeners after every change."""

    def __init__(
        self,
        policy: Policy,
        clock: Clock,
        scheduler: Scheduler,
        history: HistoryLookup,
        render_reason: ReasonRenderer,
        agent_id: str = "",
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.scheduler = scheduler
        self.history = history
        self.render = render_reason
        self.agent_id = agent_id
        self.sessions: dict[str, CallSession] = {}   # by record id, in arrival order
        self._listeners: list[Callable[[CallSession], None]] = []
        self._focus: str | None = None              # record id of the call in focus
        self._ended_line_ids: dict[str, None] = {}  # line ids already ended, newest last (bounded)

    def subscribe(self, fn: Callable[[CallSession], None]) -> None:
        self._listeners.append(fn)

    @property
    def current(self) -> CallSession | None:
        """The call in focus: the one on the card. When the focused call is wrapped up, the next
        one takes its place: a call being talked to, else a ringing one, else one waiting for its
        wrap-up, else a held one (oldest first within each)."""
        session = self.sessions.get(self._focus) if self._focus else None
        if session is None or session.phase is Phase.DONE:
            session = min((s for s in self.sessions.values() if s.phase is not Phase.DONE),
                          key=_focus_rank, default=None)
            self._focus = session.record.id if session else None
        return session

    @property
    def others(self) -> list[CallSession]:
        """Every other call on the card, in arrival order (held, ringing, waiting for wrap-up)."""
        current = self.current
        return [s for s in self.sessions.values() if s is not current and s.phase is not Phase.DONE]

    def focus(self, record_id: str) -> CallSession | None:
        """The agent puts this call in focus (answering it, or picking it on the card)."""
        session = self.sessions.get(record_id)
        if session is None or session.phase is Phase.DONE:
            return None
        previous, self._focus = self.current, record_id
        if previous is not session:
            if previous is not None:
                self._notify(previous)
            self._notify(session)
        return session

    def by_line_id(self, line_call_id: str) -> CallSession | None:
        for session in self.sessions.values():
            if session.record.line_call_id == line_call_id:
                return session
        return None

    def handle(self, event: CallEvent) -> CallSession | None:
        """Apply a softphone event. Unknown call ids for answered/ended start a call (auto-answer).

        An event for a line id that has already ended never opens a call again (a late or
        repeated `answered` would otherwise leave a ghost call on the card)."""
        session = self.by_line_id(event.call_id) if event.call_id else None
        if session is None:
            if event.call_id in self._ended_line_ids:
                return None
            if event.kind in (EventKind.ENDED, EventKind.HELD, EventKind.RESUMED) and event.call_id:
                return None  # a call we never saw start: nothing to record
            session = self.ring(event.number, event.call_id)
        if event.kind is EventKind.ANSWERED:
            session.answered()
        elif event.kind is EventKind.ENDED:
            session.ended(event.ended_by, event.close_reason)
        elif event.kind in (EventKind.HELD, EventKind.RESUMED):
            session.set_held(event.kind is EventKind.HELD)
        return session

    def reconcile(self, on_line: list[LineCall], close_reason: str = NOT_ON_LINE) -> None:
        """The softphone's list of its calls is the truth (after every (re)connect, and so at start-up).

        Calls the card has open that the line does not are ended (`ended_by` unknown, the reason
        kept in close_reason) and wait for the agent's wrap-up; calls the line has that the card
        does not are opened and recorded, ringing or answered; calls on both take the line's state.
        Matching is by line id; a listed call without one is matched by number and state."""
        waiting = list(on_line)
        unmatched = []
        for session in [s for s in self.sessions.values()
                        if s.record.line_call_id and s.phase not in (Phase.ENDED, Phase.DONE)]:
            found = next((c for c in waiting if c.call_id == session.record.line_call_id), None)
            if found is None:
                unmatched.append(session)
                continue
            waiting.remove(found)
            self._take_line_state(session, found)
        for session in unmatched:
            answered = session.phase is not Phase.RINGING
            found = next((c for c in waiting if not c.call_id and c.number == session.record.caller_raw
                          and c.answered == answered), None)
            if found is not None:
                waiting.remove(found)
                self._take_line_state(session, found)
            else:
                session.ended(EndedBy.UNKNOWN, close_reason)
        for call in waiting:
            if call.call_id and call.call_id not in self._ended_line_ids:
                self._take_line_state(self.ring(call.number, call.call_id), call)

    def _take_line_state(self, session: CallSession, call: LineCall) -> None:
        if call.answered:
            session.answered()
        session.set_held(call.held)

    def _finished(self, line_call_id: str) -> None:
        self._ended_line_ids[line_call_id] = None
        if len(self._ended_line_ids) > 1000:
            del self._ended_line_ids[next(iter(self._ended_line_ids))]

    def reason_text(self, found: Classification) -> str:
        """The class reason as the card shows it: the reason, then what the blocklist says."""
        text = self.render(found.reason)
        note = self.render(found.note) if found.note else ""
        return f"{text} · {note}" if note else text

    def ring(self, raw_number: str | None, line_call_id: str | None = None) -> CallSession:
        number = normalise(raw_number, self.policy.region)
        now = self.clock.now()
        history = self.history(number.e164) if number.known else CallerHistory()
        found: Classification = classify(number, history, self.policy, now)
        record = CallRecord(
            id=str(uuid.uuid4()),
            agent_id=self.agent_id,
            caller_number=number.e164,
            caller_raw=(raw_number or "")[:64],
            line_call_id=line_call_id,
            started_at=now,
            caller_class=found.caller_class.value,
            sub_reason=found.sub_reason.value,
            class_reason=self.reason_text(found),
            class_reason_key=found.reason.key,
        )
        had_focus = self.current is not None
        session = CallSession(self, record, Phase.RINGING)
        self.sessions[record.id] = session
        if not had_focus:
            self._focus = record.id
        session._changed()
        return session

    def resume(self, record: CallRecord) -> CallSession:
        """Bring back a call that was open when the app stopped (crash, kill -9, restart)."""
        if record.ended_at is not None:
            phase = Phase.DONE if record.disposition and record.wrapped_up_at else Phase.ENDED
        elif record.answered_at is None:
            phase = Phase.RINGING
        elif record.hangup_allowed_at is not None:
            phase = Phase.HANGUP_ALLOWED
        elif record.closure_confirmed_at is not None:
            # The grace wait was interrupted by the restart; it is long over now.
            record.hangup_allowed_at = record.hangup_prompted_at = self.clock.now()
            phase = Phase.HANGUP_ALLOWED
        else:
            phase = Phase.TALKING
        session = CallSession(self, record, phase)
        self.sessions[record.id] = session
        if phase is Phase.DONE and record.line_call_id:
            self._finished(record.line_call_id)
        return session

    def forget_done(self) -> None:
        """Drop wrapped-up sessions from memory; they live on in the store."""
        for key in [k for k, s in self.sessions.items() if s.phase is Phase.DONE]:
            del self.sessions[key]

    def _notify(self, session: CallSession) -> None:
        for fn in list(self._listeners):
            fn(session)


_LIVE = (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED)


def _focus_rank(session: CallSession) -> tuple[int, datetime]:
    """Which call takes the focus when the focused one is wrapped up (lowest first)."""
    if session.phase in _LIVE:
        rank = 3 if session.held else 0
    else:
        rank = 1 if session.phase is Phase.RINGING else 2
    return rank, session.record.started_at

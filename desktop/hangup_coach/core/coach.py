"""The coach: one state machine per call, fed by call events and agent actions.

ringing → talking → (explanations / warnings counted) → closure confirmed → grace running
→ hang-up allowed → ended → wrapped up.

It advises and records; it never stops the agent from doing anything. An agent who ends a
call before the policy allows it is recorded (`agent_ended_early`) for QA, not prevented.
The 2-second rule lives here and only here (`_grace_over`).
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
from .events import CallEvent, EventKind
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
                                history.profile, history.blocked_reason)   # not this call itself
        found = classify(normalise(rec.caller_number, coach.policy.region), earlier, coach.policy, coach.clock.now())
        text = coach.render(found.reason)
        if (found.caller_class.value, found.sub_reason.value, text) == (rec.caller_class, rec.sub_reason,
                                                                          rec.class_reason):
            return False
        rec.caller_class, rec.sub_reason = found.caller_class.value, found.sub_reason.value
        rec.class_reason, rec.class_reason_key = text, found.reason.key
        self._check_thresholds()
        self._changed()
        return True

    def wrap_up(self, disposition: str, ended_by: EndedBy | None = None) -> None:
        if disposition not in self._coach.policy.dispositions:
            raise ValueError(f"unknown disposition {disposition!r}")
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
        if self.phase is Phase.GRACE and by is EndedBy.CUSTOMER:
            rec.customer_hung_up_in_grace = True
        if by is EndedBy.AGENT and rec.answered_at is not None and not self.hangup_allowed:
            rec.agent_ended_early = True
        if rec.answered_at is None:
            rec.disposition = "missed" if "missed" in self._coach.policy.dispositions else rec.disposition
        self._stop_grace()
        self.phase = Phase.ENDED
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

    def subscribe(self, fn: Callable[[CallSession], None]) -> None:
        self._listeners.append(fn)

    @property
    def current(self) -> CallSession | None:
        """The call on the card: the newest one not yet wrapped up."""
        for session in reversed(self.sessions.values()):
            if session.phase is not Phase.DONE:
                return session
        return None

    def by_line_id(self, line_call_id: str) -> CallSession | None:
        for session in self.sessions.values():
            if session.record.line_call_id == line_call_id:
                return session
        return None

    def handle(self, event: CallEvent) -> CallSession | None:
        """Apply a softphone event. Unknown call ids for answered/ended start a call (auto-answer)."""
        session = self.by_line_id(event.call_id) if event.call_id else None
        if session is None:
            if event.kind is EventKind.ENDED and event.call_id:
                return None  # a call we never saw start: nothing to record
            session = self.ring(event.number, event.call_id)
        if event.kind is EventKind.ANSWERED:
            session.answered()
        elif event.kind is EventKind.ENDED:
            session.ended(event.ended_by, event.close_reason)
        return session

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
            class_reason=self.render(found.reason),
            class_reason_key=found.reason.key,
        )
        session = CallSession(self, record, Phase.RINGING)
        self.sessions[record.id] = session
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
        return session

    def forget_done(self) -> None:
        """Drop wrapped-up sessions from memory; they live on in the store."""
        for key in [k for k, s in self.sessions.items() if s.phase is Phase.DONE]:
            del self.sessions[key]

    def _notify(self, session: CallSession) -> None:
        for fn in list(self._listeners):
            fn(session)

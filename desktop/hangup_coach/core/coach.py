"""The coach: one state machine per call, fed by call events and agent actions.

ringing → talking → (explanations / warnings counted) → closure confirmed → grace running
→ hang-up allowed → ended → wrapped up.

It advises and records; it never stops the agent from doing anything. An agent who ends a
call before the policy allows it is recorded (`agent_ended_early`) for QA, not prevented.
The 2-second rule lives here and only here (`_grace_over`).

The coach holds every call on the line at once (call waiting, a call ringing during another's
wrap-up); exactly one is *in focus*: the one the card shows and every agent action applies to.
The focus follows the line by one rule, `Coach._follow_line`, applied after every line event and
every reconcile: the call the agent is talking to on the line has the keys. The agent's click or
key still chooses among the calls, until the line next connects or holds one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable

from .callers import CallerClass, EndedBy, SubReason, check_sub_reason
from .classify import CallerHistory, Classification, Reason, classify
from .clock import Clock, Scheduler, Timer
from .qa_sheet import MISFIT_REASONS
from .events import CLOSED_ON_CARD, NOT_ON_LINE, STALE, CallEvent, EventKind, LineCall
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
    times_reconstructed: bool = False   # started_at/answered_at come from the line's elapsed time at (re)connect
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
        self.last_heard = record.updated_at or record.started_at   # the line's last word on this call

    @property
    def talking(self) -> bool:
        """Connected on the line and not on hold: the agent is talking to this caller now."""
        return self.phase in _LIVE and not self.held

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
    def answered(self, at: datetime | None = None) -> None:
        """`at`: when the line says it was answered (a call found at (re)connect), else now."""
        if self.phase is Phase.RINGING:
            self.record.answered_at = max(at, self.record.started_at) if at else self._coach.clock.now()
            self.phase = Phase.TALKING
            self._check_thresholds()
            self._changed()

    def ended(self, by: EndedBy, close_reason: str = "", at: datetime | None = None) -> None:
        """`at`: when the line says it ended (read late: the card was frozen), else now."""
        if self.phase in (Phase.ENDED, Phase.DONE):
            return
        rec = self.record
        rec.ended_at = max(at, rec.answered_at or rec.started_at) if at else self._coach.clock.now()
        rec.ended_by = by.value
        rec.close_reason = close_reason[:500]
        self.held = False
        if rec.line_call_id:
            self._coach._finished(rec.line_call_id)
        if self.phase is Phase.GRACE and by is EndedBy.CUSTOMER:
            rec.customer_hung_up_in_grace = True
        if by is EndedBy.AGENT and rec.answered_at is not None and not self.hangup_allowed:
            rec.agent_ended_early = True
        if rec.answered_at is None and rec.disposition is None:
            # the agent turned it down while it rang, or the caller gave up
            unanswered = "rejected" if by is EndedBy.AGENT else "missed"
            rec.disposition = unanswered if unanswered in self._coach.policy.dispositions else rec.disposition
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

    def _resume_grace(self) -> None:
        """After a restart inside the 2-second wait: the wait counts from the stored confirmation."""
        waited = (self._coach.clock.now() - self.record.closure_confirmed_at).total_seconds()
        left = self._coach.policy.grace_seconds - max(0.0, waited)
        if left <= 0:
            self._allow(at=self.record.closure_confirmed_at + timedelta(seconds=self._coach.policy.grace_seconds))
            self.phase = Phase.HANGUP_ALLOWED
            return
        self._grace_started = self._coach.clock.monotonic() - max(0.0, waited)
        self._grace_timer = self._coach.scheduler.call_later(left, self._grace_over)

    def _check_thresholds(self) -> None:
        if self.phase in (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED):
            prompt = self.prompt
            if prompt is not None and prompt.allows_hangup:
                self._allow()

    def _allow(self, at: datetime | None = None) -> None:
        if self.record.hangup_allowed_at is None:
            now = at or self._coach.clock.now()
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
        self._focus_listeners: list[Callable[[CallSession | None, CallSession], None]] = []
        self._by_line: dict[str, CallSession] = {}  # line id → its session (a burst has thousands)

    def subscribe(self, fn: Callable[[CallSession], None]) -> None:
        self._listeners.append(fn)

    def on_focus_moved(self, fn: Callable[[CallSession | None, CallSession], None]) -> None:
        """`fn(previous, now)` whenever the line, not the agent, moved the focus (the card says so)."""
        self._focus_listeners.append(fn)

    @property
    def current(self) -> CallSession | None:
        """The call in focus: the one on the card. When there is none (start-up, the focused call
        wrapped up), the next one takes its place: a call being talked to (the one answered last),
        else a ringing one, else one waiting for its wrap-up, else a held one."""
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
        self._move_focus(session)
        return session

    def _move_focus(self, session: CallSession, by_line: bool = False) -> None:
        previous, self._focus = self.current, session.record.id
        if previous is session:
            return
        if previous is not None:
            self._notify(previous)
        self._notify(session)
        if by_line:
            for fn in list(self._focus_listeners):
                fn(previous, session)

    def _follow_line(self, connected: CallSession | None = None) -> None:
        """THE focus rule, after every line event and every reconcile: the call the agent talks to
        on the line has the keys.

        - a call the line has just connected (answered, or taken off hold) takes the focus: with
          call waiting that is the call the agent turned to; with two calls connected and none held
          (auto-answer), the one answered last;
        - a focused call the line has put on hold gives the focus to the call being talked to
          (the one answered last), if there is one; a held call never takes the focus by itself;
        - otherwise the focus stays where it is, so the agent's click or key still chooses."""
        current = self.current
        target = None
        if connected is not None and connected.talking:
            target = connected
        elif current is not None and current.held:
            target = min((s for s in self.sessions.values() if s.talking), key=_focus_rank, default=None)
        if target is not None and target is not current:
            self._move_focus(target, by_line=True)

    def by_line_id(self, line_call_id: str) -> CallSession | None:
        session = self._by_line.get(line_call_id)
        return session if session is not None and self.sessions.get(session.record.id) is session else None

    def _add(self, session: CallSession) -> None:
        self.sessions[session.record.id] = session
        if session.record.line_call_id:
            self._by_line[session.record.line_call_id] = session

    def handle(self, event: CallEvent) -> CallSession | None:
        """Apply a softphone event. Unknown call ids for answered start a call (auto-answer).

        An event for a line id that has already ended (here, or in the database across restarts:
        `remember_ended`) never opens a call again (a late or replayed event would otherwise leave
        a ghost call or a second row); an `ended` before any other event marks its id ended, so a
        late `ringing` cannot open a call that never closes."""
        session = self.by_line_id(event.call_id) if event.call_id else None
        if session is None:
            if event.call_id in self._ended_line_ids:
                return None
            if event.kind is EventKind.ENDED and event.call_id:
                self._finished(event.call_id)
                return None  # a call we never saw start: nothing to record
            if event.kind in (EventKind.HELD, EventKind.RESUMED) and event.call_id:
                return None
            if event.kind is EventKind.BUSY:
                return self._turned_away(event)
            session = self.ring(event.number, event.call_id, at=self._line_time(event))
        session.last_heard = self.clock.now()
        if event.kind is EventKind.ANSWERED:
            session.answered(self._line_time(event))
        elif event.kind is EventKind.ENDED:
            session.ended(event.ended_by, event.close_reason, self._line_time(event))
        elif event.kind in (EventKind.HELD, EventKind.RESUMED):
            session.set_held(event.kind is EventKind.HELD)
        if event.backlog:   # a call already over when it was read never takes the keys
            pass
        elif event.kind in (EventKind.ANSWERED, EventKind.RESUMED):
            self._follow_line(session)
        elif event.kind is EventKind.HELD:
            self._follow_line()
        return session

    def _line_time(self, event: CallEvent) -> datetime | None:
        """The line's time of an event, if it gave one the card can believe: not ahead of the card's
        clock (a bridge's clock a little ahead), not more than LINE_TIME_KEPT_S back (a wrong clock)."""
        if event.at is None:
            return None
        now = self.clock.now()
        if event.at < now - timedelta(seconds=LINE_TIME_KEPT_S):
            return None
        return min(event.at, now)

    def reconcile(self, on_line: list[LineCall], close_reason: str = NOT_ON_LINE) -> None:
        """The softphone's list of its calls is the truth (after every (re)connect, and so at start-up;
        a JSON bridge's `calls` message whenever it sends one).

        Calls the card has open that the line does not are ended (`ended_by` unknown, the reason
        kept in close_reason) and wait for the agent's wrap-up; calls the line has that the card
        does not are opened and recorded, ringing or answered; calls on both take the line's state.
        Matching is by line id; a listed call without one is matched by number and state.
        Then the focus rule runs (`_follow_line`)."""
        waiting = list(on_line)
        unmatched = []
        connected: list[CallSession] = []
        for session in [s for s in self.sessions.values()
                        if s.record.line_call_id and s.phase not in (Phase.ENDED, Phase.DONE)]:
            found = next((c for c in waiting if c.call_id == session.record.line_call_id), None)
            if found is None:
                unmatched.append(session)
                continue
            waiting.remove(found)
            self._take_line_state(session, found, connected)
        for session in unmatched:
            answered = session.phase is not Phase.RINGING
            found = next((c for c in waiting if not c.call_id and c.number == session.record.caller_raw
                          and c.answered == answered), None)
            if found is not None:
                waiting.remove(found)
                self._take_line_state(session, found, connected)
            else:
                session.ended(EndedBy.UNKNOWN, close_reason)
        for call in waiting:
            if call.call_id and call.call_id not in self._ended_line_ids:
                self._take_line_state(self.ring(call.number, call.call_id, found_on_line=call), call, connected)
        self._follow_line(self._answered_last(connected))

    def _answered_last(self, connected: list[CallSession]) -> CallSession | None:
        """Of the calls a reconcile connected, the one answered last (the call in focus on a tie)."""
        if not connected:
            return None
        latest = max(s.record.answered_at or s.record.started_at for s in connected)
        last = [s for s in connected if (s.record.answered_at or s.record.started_at) == latest]
        return self.current if self.current in last else last[-1]

    def _take_line_state(self, session: CallSession, call: LineCall, connected: list[CallSession]) -> None:
        was_talking = session.talking
        session.last_heard = self.clock.now()
        if call.answered:
            at = None
            if call.connected_for is not None and session.phase is Phase.RINGING:
                at = self.clock.now() - timedelta(seconds=call.connected_for)   # the line's own time
                session.record.times_reconstructed = True
            session.answered(at)
        session.set_held(call.held)
        if session.talking and not was_talking:
            connected.append(session)

    def _turned_away(self, event: CallEvent) -> CallSession:
        """A caller the softphone refused by itself: a row (disposition busy), wrapped up at once, no wrap-up for
        the agent, and the focus stays where it is."""
        focus = self._focus
        session = self.ring(event.number, event.call_id)
        self._focus = focus
        session.ended(EndedBy.SYSTEM, event.close_reason or "turned away by the softphone (busy)")
        if "busy" in self.policy.dispositions:
            session.wrap_up("busy")
        return session

    def remember_ended(self, line_call_ids: Iterable[str]) -> None:
        """Line ids the database has as ended (from earlier runs): their events are ignored."""
        for line_call_id in line_call_ids:
            self._finished(line_call_id)

    def close_stale(self, limit_s: float) -> list[CallSession]:
        """Close every open call the line has said nothing about for `limit_s` (a bridge that lost
        the end and sends no live-call list): ended_by unknown, the reason says why."""
        now = self.clock.now()
        stale = [s for s in self.sessions.values() if s.phase not in (Phase.ENDED, Phase.DONE)
                 and (now - s.last_heard).total_seconds() > limit_s]
        for session in stale:
            session.ended(EndedBy.UNKNOWN, STALE)
        return stale

    def close_by_agent(self, reason: str) -> CallSession | None:
        """The agent says the call in focus is over though the line never said so (a lost event)."""
        session = self.current
        if session is None or session.phase in (Phase.ENDED, Phase.DONE):
            return None
        session.ended(EndedBy.UNKNOWN, f"{CLOSED_ON_CARD}: {reason}"[:500])
        return session

    def _finished(self, line_call_id: str) -> None:
        self._ended_line_ids[line_call_id] = None
        if len(self._ended_line_ids) > ENDED_IDS_KEPT:
            del self._ended_line_ids[next(iter(self._ended_line_ids))]

    def reason_text(self, found: Classification) -> str:
        """The class reason as the card shows it: the reason, then what the blocklist says."""
        text = self.render(found.reason)
        note = self.render(found.note) if found.note else ""
        return f"{text} · {note}" if note else text

    def ring(self, raw_number: str | None, line_call_id: str | None = None,
             found_on_line: LineCall | None = None, at: datetime | None = None) -> CallSession:
        """A new call. `found_on_line`: it was already on the line when the card (re)connected; if the
        line says how long it has rung or been connected, it started that long ago (reconstructed).
        `at`: when the line says it rang (an event read late)."""
        number = normalise(raw_number, self.policy.region)
        now = self.clock.now()
        started = at or now
        if found_on_line is not None and found_on_line.started_for is not None:
            started = now - timedelta(seconds=found_on_line.started_for)
        elif found_on_line is not None and found_on_line.connected_for is not None:
            started = now - timedelta(seconds=found_on_line.connected_for)
        history = self.history(number.e164) if number.known else CallerHistory()
        found: Classification = classify(number, history, self.policy, now)
        record = CallRecord(
            id=str(uuid.uuid4()),
            agent_id=self.agent_id,
            caller_number=number.e164,
            caller_raw=(raw_number or "")[:64],
            line_call_id=line_call_id,
            started_at=started,
            times_reconstructed=found_on_line is not None and started != now,   # from elapsed times
            caller_class=found.caller_class.value,
            sub_reason=found.sub_reason.value,
            class_reason=self.reason_text(found),
            class_reason_key=found.reason.key,
        )
        had_focus = self.current is not None
        session = CallSession(self, record, Phase.RINGING)
        self._add(session)
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
            # The grace wait was interrupted by the restart: it runs from the stored confirmation.
            phase = Phase.GRACE
        else:
            phase = Phase.TALKING
        session = CallSession(self, record, phase)
        self._add(session)
        if phase is Phase.GRACE:
            session._resume_grace()
        if phase is Phase.DONE and record.line_call_id:
            self._finished(record.line_call_id)
        return session

    def forget_done(self) -> None:
        """Drop wrapped-up sessions from memory; they live on in the store."""
        for key in [k for k, s in self.sessions.items() if s.phase is Phase.DONE]:
            session = self.sessions.pop(key)
            if self._by_line.get(session.record.line_call_id) is session:
                del self._by_line[session.record.line_call_id]

    def _notify(self, session: CallSession) -> None:
        for fn in list(self._listeners):
            fn(session)


_LIVE = (Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED)


ENDED_IDS_KEPT = 20_000   # ended line ids remembered (the database's recent ones are loaded at start)
LINE_TIME_KEPT_S = 24 * 3600   # a line's event time further back than this is a wrong clock, not a late read


def _focus_rank(session: CallSession) -> tuple[int, float]:
    """Which call takes the focus when none has it (lowest first): a call being talked to, the one
    answered last first; then the longest-ringing; then one waiting for its wrap-up; then a held one."""
    if session.phase in _LIVE:
        if not session.held:
            return 0, -(session.record.answered_at or session.record.started_at).timestamp()
        rank = 3
    else:
        rank = 1 if session.phase is Phase.RINGING else 2
    return rank, session.record.started_at.timestamp()

"""App wiring: softphone events → coach → store → card. Owns no widgets.

Every change to a call and every note is handed to the store worker (app/store_worker.py), the
database's one owner, off the GUI thread: the card never waits on the disk. A store failure of any
kind (file locked, disk full, read-only, a bad record) is shown on the card in words
(`store_status`) and retried; the call and the note stay in memory, on the card and in the
journal beside the database until the store confirms them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ..core.callers import CallerClass, EndedBy, SubReason
from ..core.card_view import CardView, Line, card_view
from ..core.classify import CallerHistory
from ..core.clock import Clock, Scheduler
from ..core.coach import CallSession, Coach, Phase
from ..core.events import CallEvent, LineCall
from ..core.phone import normalise
from ..core.policy import Policy
from ..core.scripts import Prompt, ScriptBook
from ..core.text import CALL_ID_LIMIT, NOTE_LIMIT, NUMBER_LIMIT, REASON_LIMIT, clean_line, clean_text
from ..store.calls import CallStore, NoteTooLong
from ..telephony.base import Softphone
from .off_thread import when_done
from .store_worker import Opened, StoreWorker

log = logging.getLogger(__name__)

STALE_CHECK_S = 60.0    # how often open calls are checked against the stale-call limit
HISTORY_WAIT_S = 0.25   # at ring time; past that the caller is classified without history (and the card says so)
AHEAD_KEPT = 20_000     # histories read ahead of their rings (a backlog), at most
AHEAD_BATCH = 16        # numbers per read ahead
AHEAD_READS = 2         # reads ahead queued on the store worker at once
_NONE = object()       # no entry (an entry may be None: a read ahead queued)


@dataclass
class Fill:
    """Values for the script placeholders, from settings."""

    agent_id: str = ""
    branch_hours: str = ""


class Controller(QObject):
    call_changed = Signal(object)        # CallSession
    note_state = Signal(str, str)        # call id, "saving" | "saved" | "unsaved" (kept, retrying) | human error
    store_status = Signal(str, str)      # "ok" | "busy" | "disk_full" | "read_only" | "corrupt" | "io" | "record"
                                         # | "history" | "moved" | "memory" | "unmounted", and a detail
                                         # for the log and the tooltip
    store_ready = Signal()               # the database is open and the calls it had open are back
    store_refused = Signal(object)       # StoreError: the database cannot be used (start-up refuses it)
    softphone_status = Signal(str, str)  # state, detail
    problem = Signal(str)                # something the agent should see (softphone, settings)
    store_file_event = Signal(str, str)  # the database file was lost and everything written back: how, where
    journal_damaged = Signal(object, int, int)   # the last run's journal (JournalDamage), call changes
                                         # and notes brought back from it: the agent is told
    focus_moved = Signal(object, object) # CallSession | None, CallSession: the line moved the focus (not the agent)
    block_proposed = Signal(str, str)    # call id, scope: the proposal is in the outbox

    def __init__(self, store: CallStore | None, policy: Policy, scripts: ScriptBook, clock: Clock,
                 scheduler: Scheduler, fill: Fill, softphone: Softphone | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: StoreWorker | None = None   # the database's one owner (app/store_worker.py)
        self.policy, self.scripts, self.clock, self.fill = policy, scripts, clock, fill
        self.coach = Coach(
            policy, clock, scheduler,
            history=self._history,
            render_reason=lambda reason: scripts.render_reason(reason),
            agent_id=fill.agent_id,
        )
        self.coach.subscribe(self._on_change)
        self.coach.on_focus_moved(self.focus_moved.emit)
        self._unsaved: dict[str, CallSession] = {}   # changed before there was a worker to hand it to
        self._notes: dict[str, str] = {}             # the latest text of each note, saved or not
        self._note_seq: dict[str, int] = {}          # version handed to the store, per call id
        self._unsaved_notes: dict[str, int] = {}     # call id → version not yet confirmed
        self._held_notes: set[str] = set()           # typed before there was a worker
        self._wrapped_numbers: dict[str, str] = {}   # wrapped-up call id → its number, while its note is unsaved
        self._store_state = "ok"                     # the worker's last report
        self._claim_unnumbered = False               # calls recorded before the agent gave a number
        self._store_open = False
        self._history_failed = False
        self._ahead: dict[str, Future | None] = {}   # e164 → its history read ahead of its ring (None: queued)
        self._ahead_queue: deque[str] = deque()
        self._ahead_reads: deque[Future] = deque()    # on the worker now
        self.coach.subscribe(self._after_wrap_up)
        self.lookup_profile = None   # set when syncing (app/sync_setup.py): e164 -> None, off the GUI thread
        self._looked_up: set[str] = set()
        if store is not None:
            self.attach_store(store)
        self.softphone = softphone
        if softphone is not None:
            softphone.event.connect(self.on_line_event)
            softphone.status_changed.connect(self.softphone_status)
            softphone.command_failed.connect(lambda cmd, why: self.problem.emit(f"{cmd}: {why}"))
            softphone.line_calls.connect(self.reconcile)
            softphone.rings_ahead.connect(self.read_history_ahead)
            if softphone.may_go_quiet:
                self._check_stale()

    def attach_store(self, store: CallStore) -> None:
        """Save to a store that is already open (tests, tools): its open calls come back at once."""
        self.attach_worker(StoreWorker(store))

    def attach_worker(self, worker: StoreWorker) -> None:
        """Hand every change to `worker` from now on, also before it has opened the database (it
        journals them meanwhile). The app opens the database in the worker just after the card is
        first shown; the calls it has open come back when it is ready (`opened`)."""
        self.worker, self._store_open = worker, False
        worker.opened.connect(self._on_opened)
        worker.refused.connect(self.store_refused)
        worker.saved.connect(self._on_saved)
        worker.trouble.connect(self._on_trouble)
        worker.file_event.connect(self.store_file_event)
        self._save_pending()   # what changed before there was a worker
        worker.start()

    def _on_opened(self, opened: Opened) -> None:
        self._store_open = True
        self._classify_again()   # calls that rang before the file opened were classified without history
        self.coach.remember_ended(opened.ended_line_ids)   # events for them are ignored, across restarts
        for call_id, text in opened.notes.items():
            self._notes.setdefault(call_id, text)
        for record in opened.open_calls:
            if record.id not in self.coach.sessions:
                self.coach.resume(record)
                log.info("resumed open call %s from the database", record.id)
        for call_id, number in opened.wrapped_unsaved.items():   # the last run's: shown until saved
            if call_id not in self._unsaved_notes and call_id not in self.coach.sessions:
                self._unsaved_notes[call_id] = 0     # the worker confirms the journal's version as 0
                self._wrapped_numbers[call_id] = number
                self.note_state.emit(call_id, "unsaved")
        if self.current is not None:
            self.call_changed.emit(self.current)
        if opened.journal_damage is not None:
            self.journal_damaged.emit(opened.journal_damage, *opened.journal_brought)
        self._claim()   # a number given before the database opened
        self.store_ready.emit()

    def note_text(self, call_id: str) -> str:
        """The note as last typed (the card shows it, saved or not)."""
        return self._notes.get(call_id, "")

    def unsaved_notes(self) -> list[tuple[str, str, str]]:
        """(call id, number, text) of every note the store has not confirmed (to copy or save
        elsewhere when not even the journal can be written)."""
        numbers = {call_id: s.record.caller_number or "" for call_id, s in self.coach.sessions.items()}
        numbers.update(self._wrapped_numbers)
        return [(call_id, numbers.get(call_id, ""), self._notes.get(call_id, ""))
                for call_id in self._unsaved_notes if self._notes.get(call_id)]

    def kept_notes(self) -> list[tuple[str, str, str]]:
        """(call id, number, text) of each wrapped-up call whose note the store has not confirmed yet:
        the card keeps showing them until it does."""
        return [(call_id, number, self._notes.get(call_id, ""))
                for call_id, number in self._wrapped_numbers.items() if call_id in self._unsaved_notes]

    def wait_saved(self, timeout: float = 10.0) -> bool:
        """Block until the store has written everything handed over (tests; the app never calls it)."""
        return self.worker is not None and self.worker.wait_saved(timeout)

    def close(self, timeout: float = 3.0) -> bool:
        """At quit: a last try to write; anything left stays in the journal for the next start."""
        return self.worker is None or self.worker.close(timeout)

    # ----- the calls on the card: one in focus, the others listed -----------------------------
    @property
    def current(self) -> CallSession | None:
        return self.coach.current

    @property
    def others(self) -> list[CallSession]:
        return self.coach.others

    def focus(self, record_id: str) -> None:
        """The agent picked another call on the card. A held call is taken off hold on the line."""
        session = self.coach.focus(record_id)
        if session is not None:
            self._take_off_hold(session)

    def _after_wrap_up(self, session: CallSession) -> None:
        """The agent finished a wrap-up: if the call that now takes the focus is on hold, they turn to it."""
        if session.phase is Phase.DONE and self.current is not None:
            self._take_off_hold(self.current)

    def _take_off_hold(self, session: CallSession) -> None:
        if session.held and self.softphone is not None and session.record.line_call_id:
            self.softphone.resume(session.record.line_call_id)

    def line_text(self, prompt: Prompt) -> str:
        return self.scripts.line(prompt, agent_id=self.fill.agent_id, branch_hours=self.fill.branch_hours)

    # ----- events from the line ----------------------------------------------------------------
    def on_line_event(self, event: CallEvent) -> None:
        try:
            self.coach.handle(clean_event(event))
        except Exception:  # a bad event must never take the card down
            log.exception("could not apply line event %r", event)

    def reconcile(self, on_line: list[LineCall]) -> None:
        """The softphone listed its calls after (re)connecting: the card takes them as the truth."""
        try:
            self.coach.reconcile(on_line)
        except Exception:
            log.exception("could not reconcile with the line's calls %r", on_line)

    # ----- agent actions -----------------------------------------------------------------------
    def start_manual_call(self, number: str) -> CallSession:
        """Manual mode: the agent typed or pasted the number of the call they just picked up."""
        session = self.coach.ring(clean_line(number, NUMBER_LIMIT))
        session.answered()
        return session

    def answer(self) -> None:
        """Answer the ringing call in focus, else the longest-ringing one; it takes the focus (the
        note typed so far stays with the call it was typed for: the card saves it on the switch)."""
        ringing = [s for s in [self.current, *self.others] if s is not None and s.phase is Phase.RINGING]
        if not ringing:
            return
        session = ringing[0]
        self.coach.focus(session.record.id)
        if self.softphone is not None and self.softphone.can_answer and session.record.line_call_id:
            self.softphone.answer(session.record.line_call_id)
        else:
            session.answered()

    def hang_up(self) -> None:
        """The agent ends the call: on the line when a softphone can, else recorded as the agent's."""
        session = self.current
        if session is None:
            return
        if self.softphone is not None and self.softphone.can_hang_up and session.record.line_call_id:
            self.softphone.hang_up(session.record.line_call_id)
        else:
            session.ended(EndedBy.AGENT, "ended on the card")

    def close_call(self, reason: str) -> None:
        """The agent closes the call in focus that the line never said had ended (a lost event)."""
        session = self.coach.close_by_agent(reason)
        if session is not None:
            log.info("call %s closed on the card by the agent (%s)", session.record.id, reason)

    def _check_stale(self) -> None:
        """Every STALE_CHECK_S: close the calls the line has said nothing about for the policy's limit."""
        try:
            for session in self.coach.close_stale(self.policy.stale_call_hours * 3600):
                log.warning("call %s closed: no line event for %g h", session.record.id, self.policy.stale_call_hours)
        finally:
            self.coach.scheduler.call_later(STALE_CHECK_S, self._check_stale)

    def customer_hung_up(self) -> None:
        session = self.current
        if session is not None:
            session.ended(EndedBy.CUSTOMER, "recorded on the card")

    # ----- the card's actions on its call: the card renders and forwards, never edits a call ----
    def view(self) -> CardView | None:
        """What the card shows for the current call (core/card_view.py), or None when idle."""
        session = self.current
        if session is None:
            return None
        phone = self.softphone
        line = Line(bool(phone and phone.can_answer), bool(phone and phone.can_hang_up))
        return card_view(session, self.policy, self.scripts, line)

    def explain(self) -> None:
        if self.current is not None:
            self.current.explain()

    def warn(self) -> None:
        if self.current is not None:
            self.current.warn()

    def confirm_closure(self) -> None:
        if self.current is not None:
            self.current.confirm_closure()

    def cancel_closure(self) -> None:
        if self.current is not None:
            self.current.cancel_closure()

    def reclassify(self, caller_class: CallerClass, sub: SubReason, reason_text: str) -> None:
        if self.current is not None:
            self.current.reclassify(caller_class, sub, reason_text)

    def propose_block(self, scope: str, reason: str) -> None:
        """Propose blocking the current caller at the IVR; the call is the evidence. Written by the
        store worker with its outbox entry (pushed by the next sync); the card hears back through
        `block_proposed`, or `problem` when it could not be written."""
        session = self.current
        if session is None or self.worker is None or session.record.caller_number is None:
            return
        rec, agent_id, now = session.record, self.fill.agent_id, self.clock.now()
        future = self.worker.submit(
            lambda store: store.propose_block(rec.caller_number, scope, reason, agent_id, rec.id, now))

        def done(f) -> None:   # on the worker's thread: signals cross to the GUI thread queued
            if f.exception() is None:
                self.block_proposed.emit(rec.id, scope)
            else:
                log.error("block proposal not saved: %s", f.exception())
                self.problem.emit(f"block proposal not saved: {f.exception()}")
        future.add_done_callback(done)

    def wrap_up(self, disposition: str, ended_by: EndedBy, policy_misfit: str | None = None) -> None:
        session = self.current
        if session is not None and session.phase is Phase.ENDED:
            session.wrap_up(disposition, ended_by, policy_misfit)

    def save_note(self, call_id: str, text: str) -> bool:
        """Hand the note to the store (the card calls this as the agent types). False if refused."""
        if len(text) > NOTE_LIMIT:
            self.note_state.emit(call_id, str(NoteTooLong(f"note is {len(text):,} characters; the limit is {NOTE_LIMIT:,}")))
            return False
        text = clean_text(text)
        if self._notes.get(call_id) == text and call_id not in self._unsaved_notes:
            return True
        self._notes[call_id] = text
        seq = self._note_seq[call_id] = self._note_seq.get(call_id, 0) + 1
        self._unsaved_notes[call_id] = seq
        if self.worker is not None:
            self.worker.save_note(call_id, text, self.clock.now(), seq)
        else:
            self._held_notes.add(call_id)
        self.note_state.emit(call_id, "saving" if self._store_state == "ok" else
                             "memory" if self._store_state == "memory" else "unsaved")
        return True

    def profile_arrived(self, e164: str) -> None:
        """The server answered a ring-time lookup: classify the call on the card again."""
        for session in list(self.coach.sessions.values()):   # every call on the line from that number
            if session.record.caller_number == e164:
                session.refresh_class()

    # ----- internals ---------------------------------------------------------------------------
    def _on_change(self, session: CallSession) -> None:
        self._unsaved[session.record.id] = session
        self._save_pending()
        number = session.record.caller_number
        if self.lookup_profile and number and session.record.id not in self._looked_up:
            self._looked_up.add(session.record.id)   # once per call, as it rings
            self.lookup_profile(number)
        done = session.phase.value == "done"
        if done and session.record.id in self._unsaved_notes:   # the card keeps showing it (kept_notes)
            self._wrapped_numbers[session.record.id] = session.record.caller_number
        self.call_changed.emit(session)
        if done:
            self._looked_up.discard(session.record.id)
            self.coach.forget_done()

    def _save_pending(self) -> None:
        if self.worker is None:
            return  # kept in memory until there is a worker (it journals what the store cannot take)
        for pending in self._unsaved.values():
            self.worker.save_call(pending.record)
        self._unsaved.clear()
        for call_id in self._held_notes:
            self.worker.save_note(call_id, self._notes[call_id], self.clock.now(), self._note_seq[call_id])
        self._held_notes.clear()

    def read_history_ahead(self, raw_numbers: list[str]) -> None:
        """The source has read rings it has not handed over yet (a backlog): their callers' history is
        read meanwhile on the store worker, a few numbers per read and at most AHEAD_READS reads
        queued there (a ring handled meanwhile reads its own history behind them, never behind the
        whole backlog), so that each ring finds its history ready instead of holding the GUI thread."""
        if not self._store_open:
            return
        if len(self._ahead) + len(raw_numbers) > AHEAD_KEPT:   # rings that never came (ignored ids)
            self._ahead.clear()
            self._ahead_queue.clear()
        for raw in raw_numbers:
            number = normalise(raw, self.policy.region)
            if number.known and number.e164 not in self._ahead:   # a second ring from it reads its own
                self._ahead[number.e164] = None
                self._ahead_queue.append(number.e164)
        self._read_ahead()

    def _read_ahead(self) -> None:
        while self._ahead_reads and self._ahead_reads[0].done():
            self._ahead_reads.popleft()
        while len(self._ahead_reads) < AHEAD_READS and self._ahead_queue:
            batch = []
            while self._ahead_queue and len(batch) < AHEAD_BATCH:
                e164 = self._ahead_queue.popleft()
                if e164 in self._ahead and self._ahead[e164] is None:   # not rung meanwhile
                    batch.append(e164)
            if not batch:
                return
            now, days = self.clock.now(), self.policy.history_days
            future = self.worker.submit(lambda store, batch=batch: {e: store.history(e, now, days) for e in batch})
            for e164 in batch:
                self._ahead[e164] = future
            self._ahead_reads.append(future)

    def _history(self, e164: str) -> CallerHistory:
        """The caller's past calls from the store, waiting at most HISTORY_WAIT_S: a busy or broken
        store must never drop or freeze a ringing call; it is classified without history, and again
        from it once a read that took longer is done (_on_history_late).
        A history read ahead is used once: a second ring from the number reads it again."""
        ahead = self._ahead.pop(e164, None)
        if not self._store_open:
            return CallerHistory()   # classified again once the file is open (_on_opened)
        self._read_ahead()
        now, days = self.clock.now(), self.policy.history_days
        read = ahead if ahead is not None else self.worker.submit(lambda store: {e164: store.history(e164, now, days)})
        try:
            history = read.result(HISTORY_WAIT_S)[e164]
        except Exception as exc:  # any failure: classify without history and say so
            log.error("caller history not read (%s: %s)", type(exc).__name__, exc)
            if isinstance(exc, TimeoutError):   # the store is busy: classified again once the read is done
                # handed over on the GUI thread, after this ring's session exists
                when_done(self, read, lambda _histories: self._on_history_late(e164, read), lambda _exc: None)
            self._history_failed = True
            self.store_status.emit("history", f"{type(exc).__name__}: {exc}")
            return CallerHistory()
        if self._history_failed:   # read again: the card stops saying the class is a guess
            self._history_failed = False
            self.store_status.emit(self._store_state, "")
        return history

    def _on_history_late(self, e164: str, read: Future) -> None:
        """A history read that outlasted its ring is done: its live calls are classified again from
        it (refresh_class reads it through _history, as a read ahead, at once)."""
        if read.cancelled() or read.exception() is not None:
            return
        queued = self._ahead.pop(e164, _NONE)   # a read ahead of a next ring from the number stays
        self._ahead[e164] = read
        for session in list(self.coach.sessions.values()):
            if session.record.caller_number == e164 and session.refresh_class():
                log.info("call %s classified again from its caller's history (read late)", session.record.id)
        self._ahead.pop(e164, None)   # used once, or by none (the call ended, the agent chose the class)
        if queued is not _NONE:
            self._ahead[e164] = queued

    def _classify_again(self) -> None:
        """The live calls classified without their caller's history, classified again from it (an
        agent's own correction stands)."""
        for session in list(self.coach.sessions.values()):
            if session.refresh_class():
                log.info("call %s classified again from its caller's history", session.record.id)

    def set_agent_id(self, agent_id: str) -> None:
        """The agent gave their number (first run): the closing lines say it from now on, and
        every call recorded without one takes it, in memory and in the database."""
        self.fill.agent_id = self.coach.agent_id = agent_id
        for session in self.coach.sessions.values():
            if not session.record.agent_id:
                session.record.agent_id = agent_id
                self._unsaved[session.record.id] = session
        self._save_pending()
        self._claim_unnumbered = True
        self._claim()

    def _claim(self) -> None:
        """Stamp the stored calls without a number; again after writes that were queued before."""
        if self.worker is None or not self._claim_unnumbered:
            return
        if self.worker.wait_saved(0):
            self._claim_unnumbered = False
        agent_id, now = self.fill.agent_id, self.clock.now()
        self.worker.submit(lambda store: store.claim_unnumbered_calls(agent_id, now))

    def _on_saved(self, kind: str, call_id: str, seq: int) -> None:
        if kind == "call":
            self._claim()
        if kind == "note" and self._unsaved_notes.get(call_id) == seq:
            del self._unsaved_notes[call_id]
            self.note_state.emit(call_id, "saved")
            if call_id not in self.coach.sessions:
                self._notes.pop(call_id, None)
                self._wrapped_numbers.pop(call_id, None)

    def _on_trouble(self, kind: str, detail: str) -> None:
        self._store_state = kind
        self.store_status.emit(kind, detail)
        if kind != "ok":
            for call_id in self._unsaved_notes:
                self.note_state.emit(call_id, "memory" if kind in ("memory", "unmounted") else "unsaved")


def clean_event(event: CallEvent) -> CallEvent:
    """A line event from any source, made valid Unicode and length-limited before the core sees it."""
    return dataclasses.replace(
        event, call_id=clean_line(event.call_id, CALL_ID_LIMIT),
        number=clean_line(event.number, NUMBER_LIMIT) if event.number is not None else None,
        close_reason=clean_line(event.close_reason, REASON_LIMIT))

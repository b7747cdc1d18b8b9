"""App wiring: softphone events → coach → store → card. Owns no widgets.

Every change to a call is written to SQLite at once, so an open call survives kill -9. A store
failure (disk full, file locked) is reported and retried with the next change; the call stays
in memory and on the card.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ..core.callers import CallerClass, EndedBy, SubReason
from ..core.card_view import CardView, Line, card_view
from ..core.clock import Clock, Scheduler
from ..core.coach import CallSession, Coach, Phase
from ..core.events import CallEvent
from ..core.policy import Policy
from ..core.scripts import Prompt, ScriptBook
from ..store.calls import CallStore, NoteTooLong
from ..telephony.base import Softphone

log = logging.getLogger(__name__)


@dataclass
class Fill:
    """Values for the script placeholders, from settings."""

    agent_id: str = ""
    branch_hours: str = ""
    hotline: str = ""


class Controller(QObject):
    call_changed = Signal(object)        # CallSession
    note_state = Signal(str, str)        # call id, "saved" | human error
    softphone_status = Signal(str, str)  # state, detail
    problem = Signal(str)                # something the agent should see (store or softphone)

    def __init__(self, store: CallStore | None, policy: Policy, scripts: ScriptBook, clock: Clock,
                 scheduler: Scheduler, fill: Fill, softphone: Softphone | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store: CallStore | None = None
        self.policy, self.scripts, self.clock, self.fill = policy, scripts, clock, fill
        self.coach = Coach(
            policy, clock, scheduler,
            history=lambda e164: self.store.history(e164, clock.now(), policy.history_days),
            render_reason=lambda reason: scripts.render_reason(reason),
            agent_id=fill.agent_id,
        )
        self.coach.subscribe(self._on_change)
        self._unsaved: dict[str, CallSession] = {}
        if store is not None:
            self.attach_store(store)
        self.softphone = softphone
        if softphone is not None:
            softphone.event.connect(self.on_line_event)
            softphone.status_changed.connect(self.softphone_status)
            softphone.command_failed.connect(lambda cmd, why: self.problem.emit(f"{cmd}: {why}"))

    def attach_store(self, store: CallStore) -> None:
        """Start saving to `store` and bring back the calls it has open.

        The app attaches the store just after the card is first shown: opening it (importing
        sqlite-utils, migrating) takes ~200 ms that would otherwise delay the card appearing.
        """
        self.store = store
        for record in store.open_calls():
            self.coach.resume(record)
            log.info("resumed open call %s from the database", record.id)
        self._save_pending()
        if self.current is not None:
            self.call_changed.emit(self.current)

    # ----- the call on the card --------------------------------------------------------------
    @property
    def current(self) -> CallSession | None:
        return self.coach.current

    def line_text(self, prompt: Prompt) -> str:
        return self.scripts.line(prompt, agent_id=self.fill.agent_id, branch_hours=self.fill.branch_hours,
                                 hotline=self.fill.hotline)

    # ----- events from the line ----------------------------------------------------------------
    def on_line_event(self, event: CallEvent) -> None:
        try:
            self.coach.handle(event)
        except Exception:  # a bad event must never take the card down
            log.exception("could not apply line event %r", event)

    # ----- agent actions -----------------------------------------------------------------------
    def start_manual_call(self, number: str) -> CallSession:
        """Manual mode: the agent typed or pasted the number of the call they just picked up."""
        session = self.coach.ring(number)
        session.answered()
        return session

    def answer(self) -> None:
        session = self.current
        if session is None:
            return
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

    def wrap_up(self, disposition: str, ended_by: EndedBy) -> None:
        session = self.current
        if session is not None and session.phase is Phase.ENDED:
            session.wrap_up(disposition, ended_by)

    def note_text(self, call_id: str) -> str:
        return self.store.note(call_id) if self.store is not None else ""

    def save_note(self, call_id: str, text: str) -> bool:
        try:
            self.store.save_note(call_id, text, self.clock.now())
        except NoteTooLong as exc:
            self.note_state.emit(call_id, str(exc))
            return False
        except sqlite3.Error as exc:
            log.error("note for call %s not saved: %s", call_id, exc)
            self.note_state.emit(call_id, f"not saved: {exc}")
            return False
        self.note_state.emit(call_id, "saved")
        return True

    # ----- internals ---------------------------------------------------------------------------
    def _on_change(self, session: CallSession) -> None:
        self._unsaved[session.record.id] = session
        self._save_pending()
        self.call_changed.emit(session)
        if session.phase.value == "done":
            self.coach.forget_done()

    def _save_pending(self) -> None:
        if self.store is None:
            return  # kept in memory until attach_store()
        for key, pending in list(self._unsaved.items()):
            try:
                self.store.save_call(pending.record)
            except sqlite3.Error as exc:
                log.error("call %s not saved yet: %s", key, exc)
                self.problem.emit(f"database: {exc}")
                break
            del self._unsaved[key]

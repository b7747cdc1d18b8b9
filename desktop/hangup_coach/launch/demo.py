"""The demo shift: the simulated line plays `resources/demo/shift.toml` and a simulated agent
works the real card (clicking its buttons, typing its note field) following the coach's prompts.

With `--by-hand` a person (or a desktop test) is the agent instead: the line rings the shift's
calls one after another and waits for them; the customer's side comes from standard input, one
line per event: `hangs-up` (the customer hangs up) or `drops` (the line drops, nobody knows who).
"""

from __future__ import annotations

import logging
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.callers import CallerClass, SubReason
from ..core.clock import Scheduler
from ..core.coach import CallRecord, CallSession, Phase
from ..core.phone import normalise
from ..store.calls import CallStore
from ..telephony.simulator import SimulatedLine
from ..ui.card import CoachCard
from ..app.controller import Controller

log = logging.getLogger(__name__)
STEP_KINDS = {"note", "explain", "warn", "closure", "cancel_closure", "reclassify",
              "customer_hangs_up", "line_drops", "hang_up", "follow_prompt"}
CUSTOMER_WORDS = {"hangs-up": "customer_hangs_up", "drops": "line_drops"}   # --by-hand, on stdin


class ShiftError(ValueError):
    pass


@dataclass
class DemoCall:
    title: str
    number: str
    steps: list[dict]
    missed: bool = False
    disposition: str | None = None
    ended_by: str | None = None   # what the agent picks when the line cannot say who ended it


@dataclass
class Shift:
    agent_id: str = "1024"
    gap: float = 3.0
    answer_after: float = 2.0
    reaction: float = 1.5
    wrapup: float = 2.0
    typing_cps: float = 10.0
    calls: list[DemoCall] = field(default_factory=list)
    seed: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Shift":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        shift = cls(**{k: v for k, v in data.get("shift", {}).items()}, seed=data.get("seed", {}))
        for i, raw in enumerate(data.get("calls", []), 1):
            for step in raw.get("steps", []):
                if step.get("do") not in STEP_KINDS or not isinstance(step.get("at"), (int, float)):
                    raise ShiftError(f"{path}: call {i}: bad step {step!r}")
            shift.calls.append(DemoCall(raw.get("title", f"call {i}"), str(raw["number"]), raw.get("steps", []),
                                        bool(raw.get("missed", False)), raw.get("disposition"),
                                        raw.get("ended_by")))
        if not shift.calls:
            raise ShiftError(f"{path}: no [[calls]]")
        return shift


def seed_history(store: CallStore, shift: Shift, controller: Controller) -> None:
    """Put the shift's caller profiles and past calls into the database (idempotent)."""
    now = controller.clock.now()
    region = controller.policy.region
    for p in shift.seed.get("profiles", []):
        closed = now - timedelta(days=p["case_closed_days_ago"]) if "case_closed_days_ago" in p else None
        store.save_profile(normalise(p["number"], region).e164, p.get("case_id"), closed,
                           bool(p.get("branch_only")), now)
    for i, c in enumerate(shift.seed.get("calls", [])):
        started = now - timedelta(days=c["days_ago"])
        record = CallRecord(
            id=f"seed-{i}", agent_id="0000", caller_number=normalise(c["number"], region).e164,
            caller_raw=c["number"], line_call_id=None, started_at=started, answered_at=started,
            ended_at=started + timedelta(minutes=3), ended_by=c["ended_by"],
            caller_class=c["caller_class"], sub_reason=c.get("sub_reason", ""),
            class_reason="(seed)", class_source="agent", disposition=c.get("disposition"),
            wrapped_up_at=started + timedelta(minutes=4), updated_at=now,
        )
        store.save_call(record)


class ShiftPlayer(QObject):
    """Plays the shift on the simulated line and works the card like an agent would."""

    finished = Signal(int)  # calls played
    customer = Signal(str)  # --by-hand: a customer event read from stdin (on a thread)

    def __init__(self, shift: Shift, line: SimulatedLine, card: CoachCard, controller: Controller,
                 scheduler: Scheduler, parent: QObject | None = None, by_hand: bool = False) -> None:
        super().__init__(parent)
        self.shift, self.line, self.card, self.controller, self.scheduler = shift, line, card, controller, scheduler
        self.by_hand = by_hand
        self._index = -1
        self._line_id = ""
        self._waiting_for_prompt = False
        self._wrapping = False
        controller.call_changed.connect(self._on_change)

    def start(self) -> None:
        if self.by_hand:
            self.customer.connect(self._customer_does)
            threading.Thread(target=self._read_customer, daemon=True).start()
        self.scheduler.call_later(1.0, self._next_call)

    def _read_customer(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.customer.emit(line.strip())

    def _customer_does(self, word: str) -> None:
        kind = CUSTOMER_WORDS.get(word)
        if kind is None:
            log.warning("demo --by-hand: %r is not one of %s", word, ", ".join(CUSTOMER_WORDS))
            return
        getattr(self.line, kind)(self._line_id)

    # ----- one call after another ------------------------------------------------------------
    def _next_call(self) -> None:
        self._index += 1
        if self._index >= len(self.shift.calls):
            log.info("demo shift finished: %d calls", len(self.shift.calls))
            self.finished.emit(len(self.shift.calls))
            return
        call = self.shift.calls[self._index]
        log.info("demo call %d: %s", self._index + 1, call.title)
        self._line_id = f"demo-{self._index + 1}"
        self._waiting_for_prompt = False
        self._wrapping = False
        self.line.ring(self._line_id, call.number)
        if self.by_hand:
            return       # the person answers; the customer's side comes from stdin
        if call.missed:
            self._schedule_steps(call)
        else:
            self.scheduler.call_later(self.shift.answer_after, self._answer)

    def _answer(self) -> None:
        self.card.buttons["answer"].click()
        self._schedule_steps(self.shift.calls[self._index])

    def _schedule_steps(self, call: DemoCall) -> None:
        line_id = self._line_id
        for step in call.steps:
            self.scheduler.call_later(float(step["at"]), lambda s=step: self._do(line_id, s))

    def _do(self, line_id: str, step: dict) -> None:
        session = self.controller.current
        if line_id != self._line_id or session is None or session.phase in (Phase.ENDED, Phase.DONE):
            return  # the call already ended (the customer left): the agent does nothing more
        kind = step["do"]
        buttons = self.card.buttons
        if kind == "note":
            self._type(line_id, step["text"])
        elif kind in ("explain", "warn", "closure", "cancel_closure"):
            buttons[kind].click()
        elif kind == "reclassify":
            self.card.reclassify(CallerClass(step["class"]), SubReason(step.get("sub", "")))
        elif kind == "customer_hangs_up":
            self.line.customer_hangs_up(line_id)
        elif kind == "line_drops":
            self.line.line_drops(line_id)
        elif kind == "hang_up":
            buttons["hang_up"].click()
        elif kind == "follow_prompt":
            self._waiting_for_prompt = True
            self._on_change(session)

    def _type(self, line_id: str, text: str, began: float | None = None, typed: int = 0) -> None:
        """Type `text` at the shift's typing speed, by shift time: a timer that fires late (a loaded
        machine, a fast demo) types every character due by now, as the agent would have."""
        if not text or line_id != self._line_id:
            return
        now = self.controller.clock.monotonic()
        began = now if began is None else began
        due = min(len(text), max(typed + 1, int((now - began) * self.shift.typing_cps) + 1))
        self.card.note.moveCursor(self.card.note.textCursor().MoveOperation.End)
        self.card.note.insertPlainText(text[typed:due])
        if due < len(text):
            self.scheduler.call_later(1.0 / self.shift.typing_cps, lambda: self._type(line_id, text, began, due))

    def _on_change(self, session: CallSession) -> None:
        if session.record.line_call_id != self._line_id:
            return
        if self._waiting_for_prompt and session.hangup_allowed and session.phase not in (Phase.ENDED, Phase.DONE):
            self._waiting_for_prompt = False
            self.scheduler.call_later(self.shift.reaction, self._hang_up_after_prompt)
        if session.phase is Phase.ENDED and not self._wrapping:
            self._wrapping = True
            if not self.by_hand:
                self.scheduler.call_later(self.shift.wrapup, self._wrap_up)
        if session.phase is Phase.DONE and self._wrapping:
            self._wrapping = False
            self.scheduler.call_later(self.shift.gap, self._next_call)

    def _hang_up_after_prompt(self) -> None:
        session = self.controller.current
        if session is not None and session.record.line_call_id == self._line_id and session.phase not in (
                Phase.ENDED, Phase.DONE):
            self.card.buttons["copy"].click()
            self.card.buttons["hang_up"].click()

    def _wrap_up(self) -> None:
        call = self.shift.calls[self._index]
        if call.disposition:
            self.card.disposition.setCurrentIndex(self.card.disposition.findData(call.disposition))
        if call.ended_by:
            self.card.ended_by.setCurrentIndex(self.card.ended_by.findData(call.ended_by))
            self.card.ended_by.activated.emit(self.card.ended_by.currentIndex())   # as the agent's pick
        self.card.buttons["done"].click()

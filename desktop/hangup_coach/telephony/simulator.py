"""The built-in simulated line: a softphone with no network, driven by the demo shift."""

from __future__ import annotations

from ..core.callers import EndedBy
from ..core.events import CallEvent, EventKind
from .base import Softphone


class SimulatedLine(Softphone):
    """Emits the events a real softphone would; the agent's hang-up ends the call on the line."""

    can_answer = True
    can_hang_up = True

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._numbers: dict[str, str] = {}
        self._answered: set[str] = set()

    def start(self) -> None:
        self._set_state("online", "simulator")

    def stop(self) -> None:
        self._set_state("offline", "simulator stopped")

    # the customer's side
    def ring(self, call_id: str, number: str) -> None:
        self._numbers[call_id] = number
        self.event.emit(CallEvent(EventKind.RINGING, call_id, number))

    def customer_hangs_up(self, call_id: str) -> None:
        self._end(call_id, EndedBy.CUSTOMER, "Connection reset by peer")

    def line_drops(self, call_id: str) -> None:
        """The call ends and the line cannot say who ended it (the agent says so in the wrap-up)."""
        self._end(call_id, EndedBy.UNKNOWN, "Connection lost")

    # the agent's side (commands from the card)
    def answer(self, line_call_id: str) -> None:
        if line_call_id in self._numbers and line_call_id not in self._answered:
            self._answered.add(line_call_id)
            self.event.emit(CallEvent(EventKind.ANSWERED, line_call_id, self._numbers[line_call_id]))

    def hang_up(self, line_call_id: str) -> None:
        self._end(line_call_id, EndedBy.AGENT, "Connection reset by user")

    def _end(self, call_id: str, by: EndedBy, reason: str) -> None:
        number = self._numbers.pop(call_id, None)
        if number is None:
            return  # already ended
        self._answered.discard(call_id)
        self.event.emit(CallEvent(EventKind.ENDED, call_id, number, by, reason))

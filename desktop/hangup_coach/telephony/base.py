"""What every softphone source offers the app: CallEvents in, answer/hang-up commands out.

Adapters translate, they do not decide: a line event becomes a `CallEvent` (with who ended
the call, read from the line), classification is the coach's job.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Softphone(QObject):
    """Base class of the baresip, JSON-socket and simulated sources. Never blocks the GUI thread."""

    event = Signal(object)            # core.events.CallEvent
    status_changed = Signal(str, str)  # state ("online" | "offline" | "connecting" | "not_answering"), human detail
    command_failed = Signal(str, str)  # command name, human reason (no reply in time, refused…)
    line_calls = Signal(object)       # list[core.events.LineCall]: every call the line has now (after a (re)connect)
    rings_ahead = Signal(object)      # list[str]: numbers of rings read but not handed over yet (a backlog):
                                      # the card reads their callers' history meanwhile, off the GUI thread

    #: whether the card should offer an Answer button (manual answer mode)
    can_answer = False
    #: whether Hang up on the card ends the call on the line (otherwise the agent records it)
    can_hang_up = False
    #: whether a call may stay open with no word from the line (no live-call list at every reconnect,
    #: no liveness check): the card then closes calls silent past the policy's stale-call limit
    may_go_quiet = True

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "offline"

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def answer(self, line_call_id: str) -> None:
        raise NotImplementedError

    def hang_up(self, line_call_id: str) -> None:
        raise NotImplementedError

    def resume(self, line_call_id: str) -> None:
        """Take a held call off hold (the agent switched to it). Sources that cannot, ignore it."""

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        self.status_changed.emit(state, detail)

"""The other calls on the line, compact: one row each (ringing, on hold, connected, in wrap-up).

The card shows the call in focus in full; this list shows every other call the coach holds, so
a call that rings during another's wrap-up is visible at once. Clicking a row puts that call in
focus (the controller takes a held call off hold); the note typed so far stays with its call.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout

from ..core.coach import CallSession, Phase
from ..core.phone import mask

_MARKS = {"ringing": "🔔", "held": "⏸", "talking": "☎", "wrapup": "✎"}


def other_call_state(session: CallSession) -> str:
    if session.phase is Phase.RINGING:
        return "ringing"
    if session.phase in (Phase.ENDED, Phase.DONE):
        return "wrapup"
    return "held" if session.held else "talking"


class CallList(QFrame):
    def __init__(self, controller, texts: dict[str, str]) -> None:
        super().__init__(objectName="callList")
        self.controller, self.t = controller, texts
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(QLabel(texts["other_calls"], objectName="status"))
        self.rows: list[QPushButton] = []
        self.render()

    def render(self) -> None:
        others = self.controller.others
        while len(self.rows) < len(others):
            row = QPushButton(objectName="otherCall", focusPolicy=Qt.NoFocus)
            row.clicked.connect(lambda _=False, r=row: self.controller.focus(r.property("record_id")))
            self._layout.addWidget(row)
            self.rows.append(row)
        for row, session in zip(self.rows, others):
            state = other_call_state(session)
            rec = session.record
            number = mask(rec.caller_number, self.controller.policy.region) if rec.caller_number else "—"
            label = self.controller.scripts.label("classes", session.caller_class.value)
            row.setText(f"{_MARKS[state]} {number} · {label} · {self.t[f'other_{state}']}")
            row.setAccessibleName(row.text())
            row.setProperty("record_id", rec.id)
            row.setProperty("state", state)
            row.style().unpolish(row)
            row.style().polish(row)
            row.show()
        for row in self.rows[len(others):]:
            row.hide()
        self.setVisible(bool(others))

"""The other calls on the line, compact: one row each (ringing, on hold, connected, in wrap-up),
then one row per wrapped-up call whose note the store has not confirmed yet (the start of the note,
marked not saved), until it does.

The card shows the call in focus in full; this list shows every other call the coach holds, so
a call that rings during another's wrap-up is visible at once. Clicking a row puts that call in
focus (the controller takes a held call off hold); the note typed so far stays with its call.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QStyle, QVBoxLayout

from ..core.card_view import note_preview
from ..core.coach import CallSession, Phase
from ..core.phone import mask

# An icon per state from the style (every platform draws these): the emoji marks were empty boxes
# with the fonts the card ships with (🔔 has no glyph in WenQuanYi/DejaVu).
_ICONS = {"ringing": QStyle.SP_MediaVolume, "held": QStyle.SP_MediaPause, "talking": QStyle.SP_MediaPlay,
          "wrapup": QStyle.SP_FileDialogDetailedView}
MAX_ROWS = 12   # rows the card shows; the rest are counted ("+N more"), the agent reaches them as rows free up


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
        self.heading = QLabel(texts["other_calls"], objectName="status")
        self._layout.addWidget(self.heading)
        self.rows: list[QPushButton] = []
        self.kept_rows: list[QLabel] = []   # wrapped-up calls whose note is not saved yet
        self.more = QLabel("", objectName="status")   # "+N more calls" past MAX_ROWS
        self.more.hide()
        self._layout.addWidget(self.more)
        self._layout_shown = (0, False, 0)
        self._shown: list[str] = []    # what each visible row shows (kept here: asking Qt per row and per
        self._rest: tuple = ()         # event costs a burst dearly); what the rest of the list shows
        self.render()

    def render(self) -> bool:
        """Draw the first MAX_ROWS other calls, redrawing only the rows whose call, state or class
        changed, and say how many more there are (a bridge's backlog can leave thousands waiting for
        their wrap-up: the card cannot lay them all out per event). True if the rows shown changed."""
        others = self.controller.others
        listed = others[:MAX_ROWS]
        while len(self.rows) < len(listed):
            row = QPushButton(objectName="otherCall", focusPolicy=Qt.NoFocus)
            row.clicked.connect(lambda _=False, r=row: self.controller.focus(r.property("record_id")))
            self._layout.insertWidget(self._layout.indexOf(self.more), row)
            self.rows.append(row)
        shown_now = []
        for row, session in zip(self.rows, listed):
            state = other_call_state(session)
            rec = session.record
            shown = f"{rec.id}|{state}|{rec.caller_class}|{rec.caller_number}"
            shown_now.append(shown)
            if len(self._shown) > len(shown_now) - 1 and self._shown[len(shown_now) - 1] == shown:
                continue
            number = mask(rec.caller_number, self.controller.policy.region) if rec.caller_number else "—"
            label = self.controller.scripts.label("classes", session.caller_class.value)
            row.setIcon(self.style().standardIcon(_ICONS[state]))
            row.setText(f"{number} · {label} · {self.t[f'other_{state}']}")
            row.setAccessibleName(row.text())
            row.setProperty("record_id", rec.id)
            if row.property("state") != state:
                row.setProperty("state", state)
                row.style().unpolish(row)
                row.style().polish(row)
            row.show()
        for row in self.rows[len(listed):len(self._shown)]:
            row.hide()
        self._shown = shown_now
        more = len(others) - len(listed)
        kept = self.controller.kept_notes()
        rest = (more, kept, bool(others))
        if rest != self._rest:
            self._rest = rest
            if more:
                self.more.setText(self.t["other_more"].format(count=more))
            self.more.setVisible(bool(more))
            self._render_kept(kept)
            self.heading.setVisible(bool(others))
            self.setVisible(bool(others or kept))
        changed = (len(listed), bool(more), len(kept)) != self._layout_shown
        self._layout_shown = (len(listed), bool(more), len(kept))
        return changed

    def _render_kept(self, kept: list[tuple[str, str, str]]) -> None:
        while len(self.kept_rows) < len(kept):
            row = QLabel(objectName="unsavedNote", wordWrap=True)
            self._layout.addWidget(row)
            self.kept_rows.append(row)
        for row, (call_id, number, text) in zip(self.kept_rows, kept):
            shown = mask(number, self.controller.policy.region) if number else "—"
            row.setText(f"⚠ {shown} · {self.t['note_kept']}: {note_preview(text)}")
            row.setAccessibleName(row.text())
            row.setProperty("record_id", call_id)
            row.show()
        for row in self.kept_rows[len(kept):]:
            row.hide()

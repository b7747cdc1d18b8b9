"""The dashboard's Teams tab: every team the lead's or manager's login may read, as the centre's
server adds them up (app/team_report.py), one row each and their total. Asked for off the GUI
thread (app/off_thread.py) when the tab is shown or the period changes while it is."""

from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..app.off_thread import run_off_thread
from ..app.team_report import TeamFigures, problem, team_rows
from .report_tables import fill_table, plain_table


class TeamsPanel(QWidget):
    def __init__(self, texts: dict[str, str], targets: dict,
                 fetch: Callable[[date, date, int], TeamFigures], parent=None) -> None:
        super().__init__(parent)
        self.texts, self.targets, self._fetch = texts, targets, fetch
        self.figures: TeamFigures | None = None
        self.asked: tuple | None = None   # the period last asked for (first, last, utc offset)
        self._request = self._answered = 0   # the latest request, the latest answered
        self.title = QLabel()
        self.title.setTextFormat(Qt.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.table = plain_table()
        self.status = QLabel()
        self.status.setWordWrap(True)
        note = QLabel(texts["teams_note"])
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)

    @property
    def waiting(self) -> bool:
        return self.asked is not None and self._answered != self._request

    def load(self, first: date, last: date, utc_offset: int, again: bool = True) -> None:
        """Ask the server for the period; without `again`, only if it is not the one shown."""
        period = (first, last, utc_offset)
        if not again and period == self.asked:
            return
        self.asked = period
        self._request += 1
        number, fetch = self._request, self._fetch
        self.status.setText(self.texts["teams_loading"])
        self.status.show()
        run_off_thread(self, lambda: fetch(first, last, utc_offset),
                       lambda figures: self._show(figures, number), lambda error: self._failed(error, number),
                       "hangup-coach-teams")

    def _show(self, figures: TeamFigures, number: int) -> None:
        if number != self._request:
            return   # an older period's answer
        self._answered = number
        self.figures = figures
        self.title.setText(self.texts["teams_title"].format(
            first=figures.first.isoformat(), last=figures.last.isoformat(), scope=self.texts[f"scope_{figures.scope}"]))
        self.status.hide()
        heads, rows = team_rows(figures, self.texts, self.targets, two_lines=True)
        fill_table(self.table, heads, rows, text_columns=2)   # site, team
        bold = QFont(self.table.font())
        bold.setBold(True)
        for c in range(len(heads)):   # the last row is the total of them all
            self.table.item(len(rows) - 1, c).setFont(bold)

    def _failed(self, error: Exception, number: int) -> None:
        if number != self._request:
            return
        self._answered = number
        self.figures = None
        self.asked = None   # asked again when the tab is shown again
        self.title.setText("")
        self.table.setRowCount(0)
        self.status.setText(problem(error, self.texts))
        self.status.show()

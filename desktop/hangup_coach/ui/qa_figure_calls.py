"""The calls behind a figure: one agent's calls of a period with one hang-up outcome (the early
hang-ups of last week, say), listed without any batch. Enter (or a double click) opens them in the
review window, at the chosen call, to listen and read; a button starts a batch from this selection.

Opened from the dashboard's agent table (its period) and from My day (this week); the period can
be changed in the window (last week's, say). The list is read from this PC's file
(own calls and the team pull) by the `load(outcome, first, last)` it is given, off the GUI thread
(app/off_thread.py): the window answers keys while a large file is read; a figure chosen meanwhile
or period chosen meanwhile wins over the answer it replaces.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Callable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..app.off_thread import run_off_thread
from ..core.phone import mask
from ..core.qa_sample import OUTCOMES


class FigureCalls(QWidget):
    open_calls = Signal(object, int)      # the listed calls (store.qa.BatchCall), the one to show first
    start_batch = Signal(str, object, object, object)   # the outcome, the listed call ids, first, last day
    listed = Signal()                     # the chosen figure's calls are listed (or why not, said)

    def __init__(self, texts: dict[str, str], agent_id: str, first: date, last: date, outcome: str,
                 load: Callable[[str, date, date], list], utc_offset_minutes: int, parent=None) -> None:
        super().__init__(parent)
        self.texts, self.load, self.utc_offset = texts, load, utc_offset_minutes
        self.calls: list = []
        self._asked = 0                   # the latest read asked for; older answers are dropped
        self.setWindowTitle(texts["figure_calls_title"].format(agent=agent_id))
        self.resize(760, 480)
        self.period = QLabel(texts["figure_calls_period"].format(agent=agent_id))
        self.first, self.last = (QDateEdit(QDate(day), calendarPopup=True, displayFormat="yyyy-MM-dd")
                                 for day in (first, last))
        self.first.setAccessibleName(texts["figure_calls_first"])
        self.last.setAccessibleName(texts["figure_calls_last"])
        self.figure = QComboBox()
        self.figure.setAccessibleName(texts["figure_calls_figure"])
        for key in OUTCOMES:
            self.figure.addItem(texts[f"outcome_{key}"], key)
        self.figure.setCurrentIndex(max(0, self.figure.findData(outcome)))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([texts["started"], texts["caller"], texts["caller_class"],
                                              texts["ended_by"]])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda index: self.open_at(index.row()))   # Enter: keyPressEvent
        self.count = QLabel()
        self.open_button = QPushButton(texts["figure_calls_open"])
        self.open_button.clicked.connect(lambda: self.open_at(max(0, self.table.currentRow())))
        self.batch_button = QPushButton(texts["figure_calls_batch"])
        self.batch_button.clicked.connect(self._start_batch)
        top = QHBoxLayout()
        top.addWidget(QLabel(texts["figure_calls_figure"]))
        top.addWidget(self.figure, 1)
        top.addWidget(self.first)
        top.addWidget(QLabel("–"))
        top.addWidget(self.last)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.batch_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.period)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.figure.currentIndexChanged.connect(self.reload)
        self.first.dateChanged.connect(self.reload)
        self.last.dateChanged.connect(self.reload)
        self.reload()

    def outcome(self) -> str:
        return self.figure.currentData()

    def period_days(self) -> tuple[date, date]:
        return self.first.date().toPython(), self.last.date().toPython()

    def reload(self) -> None:
        """Read the chosen figure's calls off this thread; the list shows them when they come."""
        self._asked += 1
        asked, load, outcome, (first, last) = self._asked, self.load, self.outcome(), self.period_days()
        self.calls = []
        self.table.setRowCount(0)
        self.count.setText(self.texts["figure_calls_reading"])
        self.open_button.setEnabled(False)
        self.batch_button.setEnabled(False)
        run_off_thread(self, lambda: (asked, load(outcome, first, last)), self._show,
                       lambda exc, n=asked: self._show((n, exc)), name="qa-figure-calls")

    def _show(self, answer: tuple) -> None:
        asked, calls = answer
        if asked != self._asked:
            return                        # another figure was chosen meanwhile
        if isinstance(calls, Exception):
            self.count.setText(self.texts["figure_calls_unreadable"].format(error=calls))
            self.listed.emit()
            return
        self.calls = calls
        t = self.texts
        self.table.setRowCount(len(self.calls))
        for row, item in enumerate(self.calls):
            call = item.call
            started = call.get("started_at")
            local = ((datetime.fromisoformat(started) + timedelta(minutes=self.utc_offset)).strftime("%m-%d %H:%M")
                     if started else "-")
            who = t.get(f"who_{call.get('ended_by') or 'unknown'}", call.get("ended_by") or "-")
            for col, text in enumerate((local, mask(call.get("caller_number")),
                                        t.get(f"class_{call.get('caller_class')}", call.get("caller_class") or "-"),
                                        who)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.count.setText(t["figure_calls_count"].format(count=len(self.calls)))
        self.open_button.setEnabled(bool(self.calls))
        self.batch_button.setEnabled(bool(self.calls))
        if self.calls:
            self.table.selectRow(0)
        self.listed.emit()

    def open_at(self, row: int) -> None:
        if self.calls:
            self.open_calls.emit(list(self.calls), min(row, len(self.calls) - 1))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.open_at(max(0, self.table.currentRow()))
        elif event.key() == Qt.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def _start_batch(self) -> None:
        self.start_batch.emit(self.outcome(), [c.call_id for c in self.calls], *self.period_days())

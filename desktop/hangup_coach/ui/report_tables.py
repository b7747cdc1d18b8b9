"""The dashboard's plain tables: the what-if, the trends' periods, and the Hours tab (the calls of
each weekday by hour of the day, shaded). Light to import: no pyqtgraph."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..app.report_format import hour_rows, percent


def fill_table(table: QTableWidget, heads: list[str], rows: list[list[str]], text_columns: int = 1) -> None:
    """Rows of text under their heads: the first `text_columns` (names) left-aligned, the figures
    after them right-aligned, so their digits line up."""
    table.setColumnCount(len(heads))
    table.setHorizontalHeaderLabels(heads)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setTextAlignment((Qt.AlignLeft if c < text_columns else Qt.AlignRight) | Qt.AlignVCenter)
            table.setItem(r, c, item)


def plain_table() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    return table


class HoursPanel(QWidget):
    """Calls per weekday and hour, each cell shaded by its count (where the load is)."""

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.grid: dict = {}
        self.table = plain_table()
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.waiting = QLabel(texts["loading"])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{texts['chart_hours']}</b>"))
        layout.addWidget(self.waiting)
        layout.addWidget(self.table, 1)

    def clear(self) -> None:
        self.grid = {}
        self.table.setRowCount(0)
        self.waiting.show()

    def show_grid(self, grid: dict) -> None:
        self.grid = grid
        self.waiting.hide()
        heads, rows = hour_rows(grid, self.texts)
        fill_table(self.table, heads, rows)
        hours = [int(h) for h in heads[1:]]
        top = max((v[0] for v in grid.values()), default=0) or 1
        for w in range(7):
            for c, h in enumerate(hours, start=1):
                calls, agent_ended, customer_ended = grid.get((w, h), (0, 0, 0))
                item = self.table.item(w, c)
                level = calls / top
                item.setBackground(QBrush(QColor.fromRgbF(1 - 0.75 * level, 1 - 0.45 * level, 1 - 0.1 * level)))
                if level > 0.6:
                    item.setForeground(QBrush(QColor("white")))
                share = agent_ended / (agent_ended + customer_ended) if agent_ended + customer_ended else None
                item.setToolTip(f"{rows[w][0]} {h:02d}:00 · {calls:,} {self.texts['col_calls']} · "
                                f"{self.texts['axis_share']} {percent(share)}")

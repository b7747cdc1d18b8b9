"""The dashboard's per-agent table: every agent (never capped), sortable on the raw figures,
ranked, the team's median and the centre's target in each column's head, each figure with a
target tinted red / amber / green.

Selection API (for windows that open an agent's calls): `selected_agent()` and the signal
`agent_activated(agent_id)` on a double click or Enter.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ..app.report_format import AgentTable, cell, target_text

FLAG_TINTS = {"green": "#e8f5e9", "amber": "#fff8e1", "red": "#ffebee"}


class _Item(QTableWidgetItem):
    """Sorts on the raw value (Qt.UserRole), not the text ("9 min" < "10 min")."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(Qt.UserRole), other.data(Qt.UserRole)
        if a is None or b is None:
            return b is not None and a is not None   # no value sorts apart, consistently
        return a < b


class AgentTableWidget(QTableWidget):
    agent_activated = Signal(str)

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.table: AgentTable | None = None
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)   # sized once per fill
        self.horizontalHeader().setDefaultAlignment(Qt.AlignCenter | Qt.TextWordWrap)
        self.setAlternatingRowColors(False)   # the tints carry the flags
        self.setSortingEnabled(True)
        self.cellDoubleClicked.connect(lambda row, _: self._activate(row))

    def fill(self, table: AgentTable) -> None:
        self.table = table
        self.setSortingEnabled(False)   # filling a sorting table moves rows under the loop
        self.setUpdatesEnabled(False)
        self.clear()
        self.setColumnCount(len(table.columns))
        self.setHorizontalHeaderLabels([self.head(i) for i in range(len(table.columns))])
        self.setRowCount(len(table.rows))
        for r, row in enumerate(table.rows):
            for c, (value, column) in enumerate(zip(row, table.columns)):
                item = _Item(cell(value, column.kind, self.texts))
                item.setData(Qt.UserRole, value)
                if column.kind != "text":
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                flag = column.target.flag(value) if column.target else None
                if flag:
                    item.setBackground(QBrush(QColor(FLAG_TINTS[flag])))
                    item.setToolTip(self.texts[f"flag_{flag}"])
                self.setItem(r, c, item)
        self.setSortingEnabled(True)
        self.sortItems(1, Qt.AscendingOrder)   # by rank
        self.resizeColumnsToContents()
        self.setUpdatesEnabled(True)

    def head(self, column: int) -> str:
        """"agent share\nteam median 38.2 %\ntarget ≥ 35.0 %"."""
        c = self.table.columns[column]
        lines = [c.head]
        if c.key in self.table.medians:
            lines.append(f"{self.texts['median']} {cell(self.table.medians[c.key], c.kind, self.texts)}")
        if c.target:
            lines.append(target_text(c.target, c.kind, self.texts))
        return "\n".join(lines)

    def agents(self) -> list[str]:
        """The agents in the order shown."""
        return [self.item(r, 0).text() for r in range(self.rowCount())]

    def selected_agent(self) -> str | None:
        rows = self.selectionModel().selectedRows()
        return self.item(rows[0].row(), 0).text() if rows else None

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentRow() >= 0:
            self._activate(self.currentRow())
            return
        super().keyPressEvent(event)

    def _activate(self, row: int) -> None:
        self.agent_activated.emit(self.item(row, 0).text())

"""The dashboard's Trends and Hours tabs: week on week and month on month, one agent's share of
hang-ups per week against the team's, and the calls of each weekday by hour of the day."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from ..app.report_format import hour_rows, percent, period_rows
from ..core.stats import Tally
from ..store.reports import Report
from .charts import AGENT, CountAxis, DayAxis, _epoch


def fill_table(table: QTableWidget, heads: list[str], rows: list[list[str]]) -> None:
    table.setColumnCount(len(heads))
    table.setHorizontalHeaderLabels(heads)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c:
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            table.setItem(r, c, item)


def plain_table() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    return table


class TrendsPanel(QWidget):
    agent_changed = Signal(str)

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.report: Report | None = None
        self.periods = plain_table()
        self.periods.setSizeAdjustPolicy(QTableWidget.AdjustToContents)
        self.agent = QComboBox()
        self.agent.setAccessibleName(texts["agent"])
        self.agent.currentIndexChanged.connect(lambda _: self._draw())
        self.widget = pg.PlotWidget(axisItems={"left": CountAxis("left"), "bottom": DayAxis(texts["months"].split())})
        self.plot = self.widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.setLabel("left", texts["axis_share_pct"])
        self.plot.setLabel("bottom", texts["axis_day"])
        self.plot.getAxis("left").setWidth(86)
        self.plot.addLegend(offset=(10, 10))
        self.series: dict[str, list[tuple[float, float]]] = {}   # what is drawn: agent and team, per Monday
        pick = QHBoxLayout()
        pick.addWidget(QLabel(texts["agent"]))
        pick.addWidget(self.agent)
        pick.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.periods)
        layout.addLayout(pick)
        layout.addWidget(self.widget, 1)

    def show_report(self, report: Report) -> None:
        self.report = report
        fill_table(self.periods, *period_rows(report, self.texts))
        current = self.agent.currentText()
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.addItems(sorted(report.agent_weeks))
        self.agent.setCurrentIndex(max(0, self.agent.findText(current)))
        self.agent.blockSignals(False)
        self._draw()

    def show_agent(self, agent: str) -> None:
        index = self.agent.findText(agent)
        if index >= 0:
            self.agent.setCurrentIndex(index)

    def _draw(self) -> None:
        self.plot.clear()
        if self.plot.legend is not None:
            self.plot.legend.clear()
        agent = self.agent.currentText()
        if self.report is None or not agent:
            self.series = {}
            return
        team: dict = {}
        for weeks in self.report.agent_weeks.values():
            for monday, t in weeks:
                team[monday] = team.get(monday, Tally()) + t

        def points(weeks) -> list[tuple[float, float]]:
            return [(_epoch(m), t.agent_share if t.agent_share is not None else math.nan) for m, t in sorted(weeks)]
        self.series = {"agent": points(self.report.agent_weeks.get(agent, [])), "team": points(team.items())}
        for name, pen in (("team", pg.mkPen("#90a4ae", width=2, style=Qt.DashLine)), ("agent", pg.mkPen(AGENT, width=2.5))):
            xs, ys = zip(*self.series[name]) if self.series[name] else ((), ())
            self.plot.plot(list(xs), list(ys), pen=pen, symbol="o", symbolSize=5, symbolBrush=pen.color(),
                           connect="finite", name=agent if name == "agent" else self.texts["team_line"])
        self.plot.setTitle(self.texts["chart_agent_trend"].format(agent=agent), size="11pt")
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.getAxis("left").setTicks([[(v / 10, f"{v * 10} %") for v in range(0, 11, 2)]])


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

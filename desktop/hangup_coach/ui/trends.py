"""The dashboard's Trends tab: week on week and month on month, and one agent's share of hang-ups
per week against the team's (pyqtgraph: made once the dashboard's first chart is drawn)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTableWidget, QVBoxLayout, QWidget

from ..app.report_format import period_rows
from ..core.stats import Tally
from ..store.reports import Report
from .charts import AGENT, CountAxis, DayAxis, _epoch
from .report_tables import fill_table, plain_table


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

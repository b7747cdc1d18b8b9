"""The agent's own day, from the tray: today and this week, only their own agent_id.

Calls by class, the share of calls they ended, early hang-ups and the time calls went on after
the policy allowed the end; a chart of this week's calls per class. The agent id is fixed
when the window is made (the card's own), so no filter can show another agent's figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ..app.report_format import duration, percent
from ..core.stats import Tally
from ..store.reports import CLASSES, ReportQuery
from .report_loader import ReportLoader


def week_chart(texts: dict[str, str]):
    """This week's calls per class; None where the charts are not installed (the agent's package
    leaves pyqtgraph and numpy to the lead/QA package: the figures above say the same in numbers)."""
    try:
        from .charts import ClassChart
    except ImportError:
        return None
    chart = ClassChart(texts)
    chart.plot.setTitle(f"{texts['this_week']} · {texts['chart_classes']}", size="10pt")
    return chart


class MyDay(QWidget):
    def __init__(self, db_path: Path, policy, texts: dict[str, str], agent_id: str, today: date,
                 utc_offset_minutes: int, parent=None) -> None:
        super().__init__(parent)
        self.texts, self.agent_id, self.today, self.utc_offset = texts, agent_id, today, utc_offset_minutes
        self.setWindowTitle(f"{texts['my_day_title']} · {texts['agent']} {agent_id}")
        self.resize(560, 640)
        self.figures: dict[str, Tally] = {}   # "today", "week" → the agent's tally
        self._pending: dict[int, str] = {}
        self.loader = ReportLoader(db_path, policy, self)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(lambda error, _: self.status.setText(texts["load_failed"].format(error=error)))

        self.grid = QGridLayout()
        self.grid.addWidget(QLabel(""), 0, 0)
        for col, key in ((1, "today"), (2, "this_week")):
            head = QLabel(f"<b>{texts[key]}</b>")
            head.setAlignment(Qt.AlignRight)
            self.grid.addWidget(head, 0, col)
        self.rows = ["my_calls", *[f"class_{c}" for c in CLASSES], "my_share", "my_early", "my_released"]
        self.cells: dict[tuple[str, str], QLabel] = {}
        for r, key in enumerate(self.rows, start=1):
            label = texts["my_class_calls"].format(label=texts[key]) if key.startswith("class_") else texts[key]
            self.grid.addWidget(QLabel(label), r, 0)
            for col, period in ((1, "today"), (2, "week")):
                cell = QLabel("—")
                cell.setAlignment(Qt.AlignRight)
                self.cells[(key, period)] = cell
                self.grid.addWidget(cell, r, col)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.chart = week_chart(texts)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addWidget(self.progress)
        if self.chart is not None:
            layout.addWidget(self.chart.widget, 1)
        layout.addWidget(self.status)
        self.reload()

    def reload(self) -> None:
        monday = self.today - timedelta(days=self.today.weekday())
        self.progress.show()
        for period, first in (("today", self.today), ("week", monday)):
            request = self.loader.load(ReportQuery(first, self.today, (self.agent_id,), (), self.utc_offset), replace=False)
            self._pending[request] = period

    def _loaded(self, report, request: int) -> None:
        period = self._pending.pop(request, None)
        if period is None or report.query.agents != (self.agent_id,):
            return
        t = report.total
        self.figures[period] = t
        values = {"my_calls": f"{t.calls:,}", "my_share": percent(t.agent_share),
                  "my_early": f"{t.agent_early:,}", "my_released": duration(t.after_allowed_seconds, self.texts)}
        for c in CLASSES:
            values[f"class_{c}"] = f"{report.classes.get(c, Tally()).calls:,}"
        for key in self.rows:
            self.cells[(key, period)].setText(values[key])
        if period == "week" and self.chart is not None:
            self.chart.update(report)
        if not self._pending:
            self.progress.hide()

    def closeEvent(self, event) -> None:
        self.loader.stop()
        super().closeEvent(event)

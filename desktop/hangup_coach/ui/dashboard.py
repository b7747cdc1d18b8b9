"""The team lead's dashboard: is the hang-up policy doing what the centre adopted it for?

Top to bottom: the filters (date range, agent, class) and one Export menu; the few figures a
lead acts on, large, each flagged against the centre's targets with its trend; then tabs: the
four charts (agent share per day against the baseline and the policy start, calls per class by
who ended them, explanations per non-regular call, the 2-second-wait outcomes per agent), the
full per-agent table (sortable, ranked, median and target in each head), the what-if and the
details. Figures are added up off the GUI thread (`ReportLoader`); a busy bar shows meanwhile.
Every chart exports as a titled PNG, the agent table as CSV of raw numbers.

The first chart comes first: importing pyqtgraph takes longer than reading a year's days, so the
window opens without it (white boxes where the charts go, the loader already reading), is drawn,
and only then imports pyqtgraph (on the GUI thread: imported in a thread of its own beside the
GUI, PySide6's lazily made types are not safe), makes and draws the share chart, and after it the
other charts and the Trends tab, one per turn of the event loop; the loader holds the rest of the
report until the share chart is drawn. Nothing moves when they arrive: each goes into the box
already laid out for it.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import importlib
import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton,
    QSizePolicy, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from ..app.report_format import (
    agent_csv_rows, agent_table, figures, significant_lines, summary_lines, what_if_rows, write_csv,
)
from ..app.team_report import TeamFigures, team_csv_rows, team_sheet
from ..core.stats import DEFAULT_SCENARIOS
from ..store.reports import CLASSES, ReportQuery, empty_report
from .agent_table import AgentTableWidget
from .figure_tiles import FigureTiles
from .report_loader import ReportLoader
from .report_tables import HoursPanel, fill_table, plain_table

CHART_SLOTS = 4   # the Charts tab's 2×2 grid (ui/charts.CHARTS, share first)


class Dashboard(QWidget):
    def __init__(self, db_path: Path, policy, texts: dict[str, str], utc_offset_minutes: int,
                 first: date, last: date, parent=None, targets: dict | None = None,
                 teams: dict[str, tuple[str, ...]] | None = None, teams_from=None) -> None:
        """`teams_from(first, last, utc_offset) -> app.team_report.TeamFigures`: the server's figures
        of the teams this PC's login may read, for the Teams tab (none without it)."""
        super().__init__(parent)
        if targets is None:
            from ..app.resources import load_targets
            targets = load_targets()
        self.texts, self.policy, self.utc_offset, self.targets = texts, policy, utc_offset_minutes, targets
        self.setWindowTitle(texts["title"])
        self.setMinimumSize(960, 640)
        self.resize(1280, 900)
        self.report = None
        self._days = None   # the latest request's days (the share chart), kept until that chart is made
        self._drawing: list = []   # the steps of showing the latest figures (_draw_next)
        self.charts: dict = {}   # key → ui.charts.Chart, as they are made (the share chart first)
        self.trends = None       # ui.trends.TrendsPanel, made after the charts
        self._to_make: list | None = None   # None: pyqtgraph not imported yet; then what is still to make
        self._first_chart = threading.Event()   # drawn: the loader goes on from the days to the rest
        self.loader = ReportLoader(db_path, policy, self, first_chart=self._first_chart)
        self.loader.days_loaded.connect(self._days_loaded)
        self.loader.loaded.connect(self._loaded)
        self.loader.what_if_loaded.connect(self._what_if_loaded)
        self.loader.hours_loaded.connect(self._hours_loaded)
        self.loader.agents_loaded.connect(lambda agents, request: self._fill_agents(agents))
        self.loader.failed.connect(self._failed)
        self.loader.progress.connect(self._progress)

        self.first, self.last = QDateEdit(_qdate(first)), QDateEdit(_qdate(last))
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._filters_changed)
        self.agent = QComboBox()
        self.agent.addItem(texts["all_agents"], None)
        self.agent.setAccessibleName(texts["agent"])
        self.team = QComboBox()   # teams or shifts of the centre's teams.toml; hidden without any
        self.team.addItem(texts["all_teams"], None)
        for name, members in (teams or {}).items():
            self.team.addItem(name, members)
        self.team.setAccessibleName(texts["team"])
        self.caller_class = QComboBox()
        self.caller_class.addItem(texts["all_classes"], None)
        for c in CLASSES:
            self.caller_class.addItem(texts[f"class_{c}"], c)
        self.caller_class.setAccessibleName(texts["caller_class"])
        for combo in (self.team, self.agent, self.caller_class):
            combo.currentIndexChanged.connect(self._filters_changed)
        refresh = QPushButton(texts["refresh"])
        refresh.clicked.connect(self.reload)
        self.progress = QProgressBar()   # busy, or the share of days added up on a first long load
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.status = QLabel()

        self.export_menu = QMenu(self)
        export = QToolButton()
        export.setText(texts["export"])
        export.setPopupMode(QToolButton.InstantPopup)
        export.setMenu(self.export_menu)

        bar = QHBoxLayout()
        for label, widget in ((texts["from"], self.first), (texts["to"], self.last), (texts["team"], self.team),
                              (texts["agent"], self.agent), (texts["caller_class"], self.caller_class)):
            if widget is self.team and self.team.count() == 1:
                continue
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(refresh)
        bar.addWidget(export)
        bar.addWidget(self.progress)
        bar.addWidget(self.status, 1)

        self.tiles = FigureTiles(texts)
        overview = QWidget()
        grid = QGridLayout(overview)
        grid.setContentsMargins(0, 0, 0, 0)
        self._chart_boxes = [_box() for _ in range(CHART_SLOTS)]   # each chart goes into its box when made
        for i, box in enumerate(self._chart_boxes):
            box.setMinimumSize(300, 180)
            grid.addWidget(box, i // 2, i % 2)
            grid.setRowStretch(i // 2, 1)   # halves whatever the charts' own size hints
            grid.setColumnStretch(i % 2, 1)
        self._charts_end = self.export_menu.addSeparator()   # a chart's "Export PNG" goes above, when it is made
        self.export_menu.addAction(texts["export_csv"], self._ask_export_table)
        self.export_menu.addAction(texts["export_xlsx"], self._ask_export_workbook)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)   # a significant change in bold
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.agent_table = AgentTableWidget(texts)
        self.what_if_table = plain_table()
        what_if = QWidget()
        what_if_layout = QVBoxLayout(what_if)
        what_if_layout.addWidget(self.what_if_table)
        note = QLabel(texts["what_if_note"])
        note.setWordWrap(True)
        what_if_layout.addWidget(note)
        self.tabs = QTabWidget()
        self.tabs.addTab(overview, texts["tab_overview"])
        self.tabs.addTab(self.agent_table, texts["tab_agents"])
        self.hours = HoursPanel(texts)
        self._trends_box = _box(white=False)
        self.agent_table.itemSelectionChanged.connect(self._agent_selected)
        self.tabs.addTab(self._trends_box, texts["tab_trends"])
        self.tabs.addTab(self.hours, texts["tab_hours"])
        self.tabs.addTab(what_if, texts["tab_what_if"])
        self.tabs.addTab(self.summary, texts["tab_details"])
        self.teams_panel = None
        if teams_from is not None:
            from .teams_panel import TeamsPanel
            self.teams_panel = TeamsPanel(texts, targets, teams_from)
            self.tabs.addTab(self.teams_panel, texts["tab_teams"])
            self.export_teams_action = self.export_menu.addAction(texts["export_teams_csv"], self._ask_export_teams)
            self.export_menu.aboutToShow.connect(self._export_teams_state)
            self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tiles)
        layout.addWidget(self.tabs, 1)

        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.reload)
        self.tiles.show_figures([   # the tiles' room from the start (the charts do not move when figures come)
            dataclasses.replace(f, value="…", flag=None, trend="\u00a0", improved=None, significant=False)
            for f in figures(empty_report(self.query(), policy), texts, targets)])
        self.reload()   # the loader reads the days while pyqtgraph is imported
        QTimer.singleShot(0, self, self._make_charts)

    # ----- the charts, made once pyqtgraph is in --------------------------------------------------
    def _make_charts(self) -> None:
        """The window drawn as it is, then pyqtgraph, then the share chart."""
        if self.isVisible():
            self.repaint()
        try:
            charts = _import_charts()
        except Exception as exc:   # a broken install: said where the charts would be
            self._charts_failed(exc)
            return
        from . import trends

        self._to_make = [*(lambda c=cls: self._make_chart(c) for cls in charts.CHARTS),
                         lambda: self._make_trends(trends.TrendsPanel)]
        self._make_next()

    def _charts_failed(self, error: Exception) -> None:
        self._to_make = []
        self._first_chart.set()
        message = QLabel(self.texts["load_failed"].format(error=error))   # where the charts would be
        message.setWordWrap(True)
        self._chart_boxes[0].layout().addWidget(message)

    def _make_next(self) -> None:
        """The share chart at once (drawn if its days are in), then one chart or tab per turn."""
        if self._to_make:
            self._to_make.pop(0)()
            QTimer.singleShot(0, self, self._make_next)   # not after the window is gone

    def _make_chart(self, cls) -> None:
        chart = cls(self.texts)
        self._chart_boxes[len(self.charts)].layout().addWidget(chart.widget)
        self.charts[chart.key] = chart
        action = self.export_menu.addAction(f"{self.texts['export_png']}: {chart.title}",
                                            lambda: self._ask_export_chart(chart.key))
        self.export_menu.insertAction(self._charts_end, action)
        if chart.key == "share":
            if self._days is not None:
                self._draw_share(self._days)
        elif self.report is not None:
            chart.update(self.report)

    def _make_trends(self, panel) -> None:
        self.trends = panel(self.texts)
        self._trends_box.layout().addWidget(self.trends)
        if self.report is not None:
            self.trends.show_report(self.report)
            self._agent_selected()

    def _agent_selected(self) -> None:
        if self.trends is not None:
            self.trends.show_agent(self.agent_table.selected_agent() or "")

    # ----- loading -------------------------------------------------------------------------------
    def query(self) -> ReportQuery:
        agent, caller_class = self.agent.currentData(), self.caller_class.currentData()
        agents = (agent,) if agent else tuple(self.team.currentData() or ())
        return ReportQuery(self.first.date().toPython(), self.last.date().toPython(),
                           agents, (caller_class,) if caller_class else (), self.utc_offset)

    @property
    def loading(self) -> bool:
        return (self.progress.isVisible() or self._debounce.isActive() or bool(self._drawing)
                or self._to_make is None or bool(self._to_make))

    def reload(self) -> None:
        query = self.query()
        if query.first > query.last:
            self.status.setText(self.texts["load_failed"].format(error=f"{query.first} > {query.last}"))
            return
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(self.texts["loading"])
        self.loader.load(query, DEFAULT_SCENARIOS)
        self._load_teams(again=True)

    def _tab_changed(self, _index: int) -> None:
        self._load_teams(again=False)

    def _load_teams(self, again: bool) -> None:
        """The server's figures of the period, while the Teams tab is the one shown."""
        if self.teams_panel is not None and self.tabs.currentWidget() is self.teams_panel:
            q = self.query()
            self.teams_panel.load(q.first, q.last, q.utc_offset_minutes, again)

    def _progress(self, done: int, total: int, request: int) -> None:
        if self.loader.is_current(request):
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _filters_changed(self) -> None:
        self._debounce.start()

    def _days_loaded(self, days_only, request: int) -> None:
        """The first chart, while the rest of the figures are added up."""
        if self.loader.is_current(request):
            self._days = days_only
            if "share" in self.charts:
                self._draw_share(days_only)

    def _draw_share(self, days_only) -> None:
        self.charts["share"].update(days_only)
        if not self._first_chart.is_set():
            self.charts["share"].widget.repaint()   # on screen now, before the loader goes on
            self._first_chart.set()

    def _loaded(self, report, request: int) -> None:
        if not self.loader.is_current(request):
            return
        self.report = report
        self.progress.setRange(0, 0)   # the what-if is still being read
        self.what_if_table.setRowCount(0)
        self.hours.clear()
        q = report.query
        # the share chart was drawn from the days (_days_loaded): the same figures
        self._drawing = [
            lambda: self.tiles.show_figures(figures(report, self.texts, self.targets)),
            lambda: self.summary.setText("<br>".join(
                f"<b>{html.escape(line)}</b>" if strong else html.escape(line)
                for line, strong in zip(summary_lines(report, self.texts), significant_lines(report)))),
            lambda: self.agent_table.fill(agent_table(report, self.texts, self.targets)),
            lambda: self.trends.show_report(report) if self.trends is not None else None,
            lambda: self.status.setText(self.texts["loaded"].format(
                calls=f"{report.total.calls:,}", first=q.first.isoformat(), last=q.last.isoformat())
                if report.total.calls else self.texts["no_calls_yet"]),
        ] + [functools.partial(chart.update, report) for key, chart in self.charts.items() if key != "share"]
        # (a chart or the Trends tab made after this is drawn from self.report as it is made)
        self._draw_next()

    def _draw_next(self) -> None:
        """One chart or table per turn of the event loop, so the window answers between them."""
        if self._drawing:
            self._drawing.pop(0)()
            QTimer.singleShot(0, self._draw_next)

    def _what_if_loaded(self, results, request: int) -> None:
        if not self.loader.is_current(request) or self.report is None:
            return
        self.report = _with_what_if(self.report, results)
        fill_table(self.what_if_table, *what_if_rows(self.report, self.texts, self.policy.explanations_before_polite_end,
                                                     self.policy.grace_seconds))

    def _hours_loaded(self, grid, request: int) -> None:
        if not self.loader.is_current(request):
            return
        self.hours.show_grid(grid)
        self.progress.hide()

    def _failed(self, error: str, request: int) -> None:
        if self.loader.is_current(request):
            self.progress.hide()
            self.status.setText(self.texts["load_failed"].format(error=error))

    def _fill_agents(self, agent_ids: list[str]) -> None:
        known = [self.agent.itemData(i) for i in range(1, self.agent.count())]
        if known == agent_ids:
            return
        current = self.agent.currentData()
        self.agent.blockSignals(True)
        while self.agent.count() > 1:
            self.agent.removeItem(1)
        for agent in agent_ids:
            self.agent.addItem(agent, agent)
        self.agent.setCurrentIndex(max(0, self.agent.findData(current)) if current else 0)
        self.agent.blockSignals(False)

    # ----- export --------------------------------------------------------------------------------
    def export_chart(self, key: str, path: Path) -> Path:
        return self.charts[key].export_png(Path(path))

    def export_table(self, path: Path) -> Path:
        """The agent table as CSV: raw numbers a spreadsheet adds up, units in the heads."""
        heads, rows = agent_csv_rows(agent_table(self.report, self.texts, self.targets)) if self.report else ([], [])
        return write_csv(Path(path), heads, rows)

    def teams_shown(self) -> TeamFigures | None:
        """The Teams tab's figures, if they are of the period the window shows."""
        figures = self.teams_panel.figures if self.teams_panel is not None else None
        q = self.report.query if self.report else None
        return figures if figures and q and (figures.first, figures.last) == (q.first, q.last) else None

    def export_teams_table(self, path: Path) -> Path:
        """The Teams tab as CSV, like the agent table's."""
        return write_csv(Path(path), *team_csv_rows(self.teams_panel.figures, self.texts, self.targets))

    def export_workbook(self, path: Path) -> Path:
        """Every table of the figures shown (with the what-if and the hours once they are in, and the
        Teams tab's table when it shows the same period) as one .xlsx."""
        from ..app.report_xlsx import write_workbook

        teams = self.teams_shown()
        return write_workbook(self.report, self.texts, self.targets, Path(path),
                              self.policy.explanations_before_polite_end, self.policy.grace_seconds,
                              hours=self.hours.grid or None,   # cleared when a new period is asked for
                              more=(team_sheet(teams, self.texts, self.targets),) if teams else ())

    def _ask_export_workbook(self) -> None:
        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.texts["export_xlsx"], "dashboard.xlsx", "Excel (*.xlsx)")
        if path:
            self.status.setText(self.texts["exported"].format(path=self.export_workbook(Path(path))))

    def _ask_export_chart(self, key: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.texts["export_png"], f"dashboard-{key}.png", "PNG (*.png)")
        if path:
            self.status.setText(self.texts["exported"].format(path=self.export_chart(key, Path(path))))

    def _ask_export_table(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.texts["export_csv"], "dashboard-agents.csv", "CSV (*.csv)")
        if path:
            self.status.setText(self.texts["exported"].format(path=self.export_table(Path(path))))

    def _export_teams_state(self) -> None:
        self.export_teams_action.setEnabled(self.teams_panel.figures is not None)   # the server has answered

    def _ask_export_teams(self) -> None:
        if self.teams_panel.figures is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.texts["export_teams_csv"], "dashboard-teams.csv",
                                              "CSV (*.csv)")
        if path:
            self.status.setText(self.texts["exported"].format(path=self.export_teams_table(Path(path))))

    def closeEvent(self, event) -> None:
        self.loader.stop()
        super().closeEvent(event)


def _import_charts():
    """ui.charts with pyqtgraph and numpy, once sqlite-utils is in (its import hides numpy from
    every thread for a moment, store/database.py; the loader may be opening it meanwhile)."""
    from ..store.database import load_sqlite_utils

    load_sqlite_utils()
    return importlib.import_module(".charts", __package__)


def _box(white: bool = True) -> QWidget:
    """Where a chart or tab made later goes: laid out now (nothing moves when it comes), white
    like the chart's own background."""
    box = QWidget()
    box.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    if white:
        box.setAutoFillBackground(True)
        palette = box.palette()
        palette.setColor(QPalette.Window, Qt.white)
        box.setPalette(palette)
    return box


def _with_what_if(report, results):
    return dataclasses.replace(report, what_if=list(results))


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)

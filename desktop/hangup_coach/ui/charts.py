"""The review charts (pyqtgraph), shared by the dashboard window and `report --png`.

Importing this module imports pyqtgraph (~0.3 s, numpy included): only the dashboard, "My day"
and `report --png` import it, never the card.

Each chart is made once and redrawn with `update(report)`, so the dashboard's filters change the
data of the same plot. Hovering a bar or a day shows its exact values; `export_png()` writes the
chart as it is drawn (`pyqtgraph.exporters.ImageExporter`).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timezone
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers ImageExporter)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ..app.report_format import duration, percent
from ..core.stats import Tally, histogram
from ..store.reports import CLASSES, EXPLANATION_BUCKETS, Report

pg.setConfigOptions(background="w", foreground="#333333", antialias=True)

AGENT, CUSTOMER, OTHER = "#2e7d32", "#b0bec5", "#ffb300"
GRACE_COLOURS = {"left_in_grace": "#64b5f6", "agent_after_prompt": "#2e7d32",
                 "agent_in_wait": "#ffb300", "agent_before_closure": "#e53935"}


class NoOverlapAxis(pg.AxisItem):
    """An axis that never draws two tick labels over each other: of the labels pyqtgraph would
    draw (the coarser level first), one that would touch a label already kept is left out.
    Category axes (agents, classes) hand it every label and let it thin them to the room there is."""

    GAP = 6   # px between two labels

    def generateDrawSpecs(self, p):
        axis_spec, tick_specs, text_specs = super().generateDrawSpecs(p)
        kept: list = []
        for spec in text_specs:
            rect = spec[0]
            padded = rect.adjusted(-self.GAP / 2, -self.GAP / 2, self.GAP / 2, self.GAP / 2)
            if not any(padded.intersects(k[0]) for k in kept):
                kept.append(spec)
        return axis_spec, tick_specs, kept


class CountAxis(NoOverlapAxis):
    """Whole numbers with thousands separators (pyqtgraph would write 1e+06). A tick between two
    whole numbers (pyqtgraph puts them at 0.5 on a small count) stays unlabelled: "2" written at
    2.5 would misread the bar."""

    def tickStrings(self, values, scale, spacing):
        return [f"{v * scale:,.0f}" if abs(v * scale - round(v * scale)) < 1e-9 else "" for v in values]


class DayAxis(NoOverlapAxis, pg.DateAxisItem):
    """Real date ticks (years, months, days as the width allows; never hours: a point is a day);
    x is the day's 00:00 UTC, the day being the centre's local day, so the labels are read in UTC.
    Month names in the window's language (pyqtgraph writes the C locale's "Feb")."""

    def __init__(self, months: list[str], orientation: str = "bottom") -> None:
        pg.DateAxisItem.__init__(self, orientation, utcOffset=0)
        self.zoomLevels = {level: zoom for level, zoom in self.zoomLevels.items() if level >= 5 * 86400}
        self.months = dict(zip(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
                               months))

    def tickStrings(self, values, scale, spacing):
        return [self.months.get(s, s.lstrip("0")) for s in super().tickStrings(values, scale, spacing)]


class Chart:
    """A titled plot with hover read-outs and PNG export."""

    key = ""

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        self.texts = texts   # before the axes are made: the day axis names months in the language
        self.widget = pg.PlotWidget(parent, axisItems={"left": CountAxis("left"), "bottom": self.bottom_axis()})
        self.plot = self.widget.getPlotItem()
        self.title = texts[f"chart_{self.key}"]
        self.caption = ""   # the period and filters of the figures drawn (the PNG's title says them)
        self.plot.setTitle(self.title, size="11pt")
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.getAxis("left").setWidth(86)   # room for "1,800,000" and the axis title, at any count
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.readout = pg.TextItem(color="#111111", fill=pg.mkBrush(255, 255, 255, 230), border=pg.mkPen("#999999"))
        self.readout.setZValue(100)
        self.readout.hide()
        self.plot.addItem(self.readout, ignoreBounds=True)
        self.hover_text = ""
        self.widget.scene().sigMouseMoved.connect(self._mouse_moved)
        self.points: list[tuple[float, str]] = []   # x → the exact values shown on hover

    def bottom_axis(self) -> pg.AxisItem:
        return NoOverlapAxis("bottom")

    def update(self, report: Report) -> None:
        self.caption = caption(report, self.texts)
        self.draw(report)

    def draw(self, report: Report) -> None:
        raise NotImplementedError

    def hover_at(self, x: float) -> str:
        """Show the read-out of the bar or day nearest to x (view coordinates)."""
        if not self.points:
            self.readout.hide()
            self.hover_text = ""
            return ""
        px, text = min(self.points, key=lambda p: abs(p[0] - x))
        self.hover_text = text
        self.readout.setText(text)
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        self.readout.setAnchor((0, 0) if px < (x0 + x1) / 2 else (1, 0))
        self.readout.setPos(px, y1)
        self.readout.show()
        return text

    def _mouse_moved(self, scene_pos) -> None:
        if self.plot.vb.sceneBoundingRect().contains(scene_pos):
            self.hover_at(self.plot.vb.mapSceneToView(scene_pos).x())
        else:
            self.readout.hide()

    def export_png(self, path: Path, width: int = 1200) -> Path:
        """The chart as drawn, titled with its period and filters (a slide needs no caption)."""
        self.readout.hide()
        self.plot.setTitle(f"{self.title}<br><span style='font-size:9pt'>{self.caption}</span>", size="11pt")
        try:
            exporter = pg.exporters.ImageExporter(self.plot)
            exporter.parameters()["width"] = int(width)   # an int: floats broke older releases (issue 722)
            exporter.export(str(path))
        finally:
            self.plot.setTitle(self.title, size="11pt")
        return Path(path)

    def _clear(self) -> None:
        for item in list(self.plot.items):
            if item is not self.readout:
                self.plot.removeItem(item)
        if self.plot.legend is not None:
            self.plot.legend.clear()

    def _categories(self, labels: list[str]) -> None:
        self.plot.getAxis("bottom").setTicks([list(enumerate(labels)), []])


def caption(report: Report, texts: dict[str, str]) -> str:
    """"2026-03-01 – 2026-09-30 · agent 1007 · regular": what the figures cover."""
    q = report.query
    parts = [f"{q.first.isoformat()} – {q.last.isoformat()}"]
    parts.append(f"{texts['agent']} {', '.join(q.agents)}" if q.agents else texts["all_agents"])
    parts.append(", ".join(texts.get(f"class_{c}", c) for c in q.classes) if q.classes else texts["all_classes"])
    return " · ".join(parts)


def _epoch(day: date) -> float:
    return datetime.combine(day, time(), timezone.utc).timestamp()


class ShareChart(Chart):
    """Agent share of hang-ups per day, against the baseline and the policy start."""

    key = "share"

    def bottom_axis(self) -> pg.AxisItem:
        return DayAxis(self.texts["months"].split())

    def __init__(self, texts, parent=None) -> None:
        super().__init__(texts, parent)
        self.plot.setLabel("left", texts["axis_share_pct"])
        self.plot.setLabel("bottom", texts["axis_day"])
        self.plot.addLegend(offset=(10, 10))
        self.x: list[float] = []
        self.y: list[float] = []

    def draw(self, report: Report) -> None:
        self._clear()
        days = report.days
        self.x = [_epoch(d) for d, _ in days]
        self.y = [t.agent_share if t.agent_share is not None else math.nan for _, t in days]
        self.plot.plot(self.x, self.y, pen=pg.mkPen(AGENT, width=2), connect="finite",
                       name=self.texts["axis_share"])
        baseline = report.baseline_agent_share
        line = pg.InfiniteLine(baseline, angle=0, pen=pg.mkPen("#e53935", width=1.5, style=Qt.DashLine),
                               label=self.texts["baseline"].format(share=percent(baseline, 0)),
                               labelOpts={"position": 0.08, "color": "#e53935", "anchors": [(0, 1), (0, 1)]})
        self.plot.addItem(line)
        if report.policy_start and days and days[0][0] <= report.policy_start <= days[-1][0]:
            start = pg.InfiniteLine(_epoch(report.policy_start), angle=90, pen=pg.mkPen("#1565c0", width=1.5),
                                    label=self.texts["policy_start"].format(day=report.policy_start.isoformat()),
                                    labelOpts={"position": 0.6, "color": "#1565c0", "anchors": [(0, 0), (0, 0)]})
            self.plot.addItem(start)
        self.plot.setYRange(0, 1, padding=0.02)
        if self.x:
            self.plot.setXRange(self.x[0] - 43200, self.x[-1] + 43200, padding=0)
        self.plot.getAxis("left").setTicks([[(v / 10, f"{v * 10} %") for v in range(0, 11, 2)]])
        self.points = [(x, f"{d.isoformat()}\n{self.texts['axis_share']} {percent(t.agent_share)}\n"
                           f"{self.texts['agent_ended']} {t.agent_ended:,} · {self.texts['customer_ended']} "
                           f"{t.customer_ended:,}\n{self.texts['col_calls']} {t.calls:,}")
                       for x, (d, t) in zip(self.x, days)]


class ClassChart(Chart):
    """Calls per caller class, stacked by who ended them."""

    key = "classes"

    def __init__(self, texts, parent=None) -> None:
        super().__init__(texts, parent)
        self.plot.setLabel("left", texts["axis_calls"])
        self.plot.setLabel("bottom", texts["axis_caller_class"])
        self.plot.addLegend(offset=(-10, 10))
        self.stacks: dict[str, list[int]] = {}

    def draw(self, report: Report) -> None:
        self._clear()
        tallies = [report.classes.get(c, Tally()) for c in CLASSES]
        self.stacks = {"agent_ended": [t.agent_ended for t in tallies],
                       "customer_ended": [t.customer_ended for t in tallies],
                       "other_ended": [t.other_ended for t in tallies]}
        bottom = [0] * len(CLASSES)
        for name, colour in (("agent_ended", AGENT), ("customer_ended", CUSTOMER), ("other_ended", OTHER)):
            heights = self.stacks[name]
            self.plot.addItem(pg.BarGraphItem(x=list(range(len(CLASSES))), height=heights, y0=bottom, width=0.6,
                                              brush=colour, pen=pg.mkPen("#ffffff"), name=self.texts[name]))
            bottom = [b + h for b, h in zip(bottom, heights)]
        self._categories([self.texts[f"class_{c}"] for c in CLASSES])
        self.plot.setYRange(0, max(bottom + [1]) * 1.15, padding=0)
        self.plot.setXRange(-0.6, len(CLASSES) - 0.4, padding=0)
        self.points = [(i, f"{self.texts[f'class_{c}']}: {t.calls:,} {self.texts['col_calls']}\n"
                           f"{self.texts['agent_ended']} {t.agent_ended:,} ({percent(t.agent_share)})\n"
                           f"{self.texts['customer_ended']} {t.customer_ended:,} · {self.texts['other_ended']} "
                           f"{t.other_ended:,}\n{self.texts['col_avg_handle']} "
                           f"{duration(t.average_handle_seconds, self.texts)}")
                       for i, (c, t) in enumerate(zip(CLASSES, tallies))]


class ExplanationsChart(Chart):
    """Histogram: non-regular calls by the explanations given."""

    key = "explanations"

    def __init__(self, texts, parent=None) -> None:
        super().__init__(texts, parent)
        self.plot.setLabel("left", texts["axis_calls"])
        self.plot.setLabel("bottom", texts["axis_explanations"])
        self.bars: list[tuple[str, int]] = []

    def draw(self, report: Report) -> None:
        self._clear()
        self.bars = histogram(report.explanations, EXPLANATION_BUCKETS)
        heights = [n for _, n in self.bars]
        self.plot.addItem(pg.BarGraphItem(x=list(range(len(self.bars))), height=heights, width=0.8,
                                          brush="#7e57c2", pen=pg.mkPen("#ffffff")))
        self._categories([label for label, _ in self.bars])
        self.plot.setYRange(0, max(heights + [1]) * 1.15, padding=0)
        total = sum(heights)
        self.points = [(i, f"{label} {self.texts['axis_explanations']}: {n:,} {self.texts['col_calls']}"
                           f" ({percent(n / total if total else None)})") for i, (label, n) in enumerate(self.bars)]


class GraceChart(Chart):
    """Regular calls per agent: what happened around the 2-second wait (QA samples from these)."""

    key = "grace"

    def __init__(self, texts, parent=None) -> None:
        super().__init__(texts, parent)
        self.plot.setLabel("left", texts["axis_calls"])
        self.plot.setLabel("bottom", texts["agent"])
        self.plot.addLegend(offset=(10, 10), colCount=2)
        self.stacks: dict[str, list[int]] = {}
        self.agents: list[str] = []

    def draw(self, report: Report) -> None:
        self._clear()
        self.agents = list(report.regular_by_agent)
        tallies = [report.regular_by_agent[a] for a in self.agents]
        self.stacks = {name: [getattr(t, name) for t in tallies] for name in GRACE_COLOURS}
        bottom = [0] * len(self.agents)
        for name, colour in GRACE_COLOURS.items():
            heights = self.stacks[name]
            self.plot.addItem(pg.BarGraphItem(x=list(range(len(self.agents))), height=heights, y0=bottom, width=0.7,
                                              brush=colour, pen=pg.mkPen(colour), name=self.texts[name]))
            bottom = [b + h for b, h in zip(bottom, heights)]
        self._categories(self.agents)   # the axis shows as many as fit; hovering a bar names its agent
        self.plot.setYRange(0, max(bottom + [1]) * 1.9, padding=0)   # the two-row legend stays above the bars
        self.plot.setXRange(-0.7, max(len(self.agents), 1) - 0.3, padding=0)
        self.points = [(i, f"{self.texts['agent']} {a}\n" + "\n".join(
            f"{self.texts[name]} {getattr(t, name):,}" for name in GRACE_COLOURS))
            for i, (a, t) in enumerate(zip(self.agents, tallies))]


CHARTS = (ShareChart, ClassChart, ExplanationsChart, GraceChart)


def make_charts(texts: dict[str, str], parent=None) -> dict[str, Chart]:
    return {cls.key: cls(texts, parent) for cls in CHARTS}


def write_pngs(report: Report, texts: dict[str, str], folder: Path, width: int = 1200, height: int = 600) -> list[Path]:
    """Draw every chart of `report` off screen and write dashboard-<chart>.png files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, chart in make_charts(texts).items():
        chart.widget.resize(width, height)
        chart.widget.setAttribute(Qt.WA_DontShowOnScreen, True)   # laid out and drawn, never on screen
        chart.widget.show()
        chart.update(report)
        QApplication.processEvents()   # the layout gives the axes their room before the export
        written.append(chart.export_png(folder / f"dashboard-{key}.png", width))
        chart.widget.close()
        chart.widget.deleteLater()
    return written

"""The dashboard's first chart comes first: the window opens without pyqtgraph, the share chart is
made and drawn before the rest of the report is added up, and the charts that follow go into the
places laid out for them (nothing on the window moves when they arrive)."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from hangup_coach.app.report_format import load_texts
from hangup_coach.ui import dashboard as dashboard_module
from hangup_coach.ui.dashboard import Dashboard

from .test_dashboard import POLICY, team_file  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_module_loads_without_pyqtgraph_or_numpy():
    out = subprocess.run([sys.executable, "-c", "import sys, hangup_coach.ui.dashboard; "
                          "print(sorted({'pyqtgraph', 'numpy'} & set(sys.modules)))"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("width, language", [(1024, "zh_CN"), (1280, "en"), (1300, "zh_CN"), (1440, "en"), (1440, "zh_CN")])
def test_the_share_chart_is_drawn_before_the_report_and_nothing_moves_when_the_charts_come(
        qtbot, team_file, monkeypatch, width, language):  # noqa: F811
    real_import, seen = dashboard_module._import_charts, {}

    def import_after_looking():
        """pyqtgraph's import, on the GUI thread: the window as it is before any chart."""
        qtbot.waitUntil(lambda: window._days is not None, timeout=10_000)   # the loader read the days meanwhile
        seen.update(places=places(), charts=dict(window.charts), trends=window.trends, report=window.report)
        return real_import()
    monkeypatch.setattr(dashboard_module, "_import_charts", import_after_looking)

    def places():
        return [w.geometry() for w in (*window._chart_boxes, window.tiles, window.tabs)]

    drawn_first = []

    def loaded(report, request):
        share = window.charts.get("share")
        drawn_first.append(share is not None and len(share.x) == 7)
    window = Dashboard(team_file, POLICY, load_texts(language), 480, date(2026, 6, 1), date(2026, 6, 7))
    qtbot.addWidget(window)
    window.loader.loaded.connect(loaded)
    try:
        window.resize(width, 900)   # 1440: six tiles in a row, the trends in two lines
        window.show()
        qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=20_000)
    finally:
        window.loader.loaded.disconnect(loaded)
    assert seen["charts"] == {} and seen["trends"] is None
    assert seen["report"] is None   # held after the days: the rest waits for the first chart
    assert drawn_first == [True]
    assert list(window.charts) == ["share", "classes", "explanations", "grace"]   # made in this order
    assert [box.layout().itemAt(0).widget() for box in window._chart_boxes] == [c.widget for c in window.charts.values()]
    assert window.charts["classes"].stacks["agent_ended"] == [5, 0, 0, 0]   # drawn as they were made
    assert window.trends is not None and window.trends.periods.rowCount() > 0
    qtbot.wait(50)   # a turn of the event loop for the layout
    assert places() == seen["places"], [(a.getRect(), b.getRect()) for a, b in zip(places(), seen["places"]) if a != b]


def test_a_new_request_before_the_first_chart_is_not_held(qtbot, team_file, monkeypatch):  # noqa: F811
    """The tray's "Dashboard" entry reloads a window it has just made: the stale first request must
    not keep the second waiting for a first chart it will never draw."""
    real_import = dashboard_module._import_charts

    def import_after_the_days():
        qtbot.waitUntil(lambda: window._days is not None, timeout=10_000)   # the second request's days
        return real_import()
    monkeypatch.setattr(dashboard_module, "_import_charts", import_after_the_days)
    window = Dashboard(team_file, POLICY, load_texts("en"), 480, date(2026, 6, 1), date(2026, 6, 7))
    qtbot.addWidget(window)
    window.show()
    window.reload()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=10_000)
    assert window.charts["share"].y[0] > 0

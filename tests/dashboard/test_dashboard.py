"""The dashboard and My day windows on a real file (pytest-qt, offscreen)."""

import csv
import dataclasses
import math
from datetime import date

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from hangup_coach.app.report_format import load_texts
from hangup_coach.app.resources import load_policy
from hangup_coach.store.db import open_db
from hangup_coach.ui.dashboard import Dashboard
from hangup_coach.ui.my_day import MyDay

from .conftest import add_call

POLICY = dataclasses.replace(load_policy(), policy_start=date(2026, 6, 3))


@pytest.fixture
def team_file(tmp_path):
    """Agent 1001 ends every call, 1002 none; 1002 also takes the non-regular calls."""
    path = tmp_path / "team.db"
    db = open_db(path)
    for day in range(1, 6):
        add_call(db, f"2026-06-0{day} 10:00:00", agent="1001", ended_by="agent", closure=50, allowed=52, talk=60)
        add_call(db, f"2026-06-0{day} 11:00:00", agent="1002", ended_by="customer", closure=50, talk=51,
                 in_grace=True)
        add_call(db, f"2026-06-0{day} 12:00:00", agent="1002", ended_by="customer", cls="non_regular",
                 explanations=day, allowed=90 if day >= 3 else None, talk=120)
    db.conn.close()
    return path


def open_dashboard(qtbot, path, lang="en"):
    window = Dashboard(path, POLICY, load_texts(lang), 480, date(2026, 6, 1), date(2026, 6, 7))
    qtbot.addWidget(window)
    window.show()
    wait_loaded(qtbot, window)
    return window


def wait_loaded(qtbot, window):
    qtbot.waitUntil(lambda: window.report is not None and not window.loading and bool(window.report.what_if),
                    timeout=10_000)


def test_the_charts_show_the_figures_and_the_filters_change_their_data(qtbot, team_file):
    window = open_dashboard(qtbot, team_file)
    share = window.charts["share"]
    assert share.y[:5] == [pytest.approx(1 / 3)] * 5 and math.isnan(share.y[5])                  # a day with no calls: a gap
    assert window.charts["classes"].stacks["agent_ended"] == [5, 0, 0, 0]
    assert [n for _, n in window.charts["explanations"].bars] == [0, 1, 1, 1, 1, 1, 0]
    assert window.charts["grace"].agents == ["1001", "1002"]
    assert window.charts["grace"].stacks["left_in_grace"] == [0, 5]
    assert [window.agent.itemData(i) for i in range(window.agent.count())] == [None, "1001", "1002"]

    window.agent.setCurrentIndex(window.agent.findData("1002"))
    qtbot.waitUntil(lambda: window.report.query.agents == ("1002",) and not window.loading, timeout=10_000)
    assert share.y[:5] == [0.0] * 5
    assert window.charts["classes"].stacks["customer_ended"] == [5, 0, 5, 0]
    assert window.charts["grace"].agents == ["1002"]

    window.caller_class.setCurrentIndex(window.caller_class.findData("regular"))
    qtbot.waitUntil(lambda: window.report.query.classes == ("regular",) and not window.loading, timeout=10_000)
    assert window.charts["classes"].stacks["customer_ended"] == [5, 0, 0, 0]
    assert [n for _, n in window.charts["explanations"].bars] == [0] * 7
    assert window.agent_table.rowCount() == 1 and window.agent_table.item(0, 0).text() == "1002"


def test_hover_shows_exact_values(qtbot, team_file):
    window = open_dashboard(qtbot, team_file)
    classes = window.charts["classes"]
    view = classes.plot.vb
    scene_point = view.mapViewToScene(QPointF(0, 1))                     # over the "regular" bar
    widget_point = classes.widget.mapFromScene(scene_point)
    viewport = classes.widget.viewport()
    pos = QPointF(widget_point.x(), widget_point.y())
    move = QMouseEvent(QEvent.MouseMove, pos, viewport.mapToGlobal(pos), Qt.NoButton, Qt.NoButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, move)   # the mouse as Qt delivers it (QTest moves no cursor offscreen)
    qtbot.waitUntil(lambda: classes.hover_text != "", timeout=2000)
    assert classes.readout.isVisible()
    assert classes.hover_text.startswith("regular: 10 calls") and "agent ended 5 (50.0 %)" in classes.hover_text
    share = window.charts["share"]
    text = share.hover_at(share.x[2] + 3600)
    assert text.startswith("2026-06-03") and "agent share 33.3 %" in text and "calls 3" in text


def test_each_chart_exports_a_real_png_and_the_table_a_csv(qtbot, team_file, tmp_path):
    window = open_dashboard(qtbot, team_file, lang="zh_CN")
    for key in window.charts:
        path = window.export_chart(key, tmp_path / f"{key}.png")
        image = QImage(str(path))
        assert not image.isNull() and image.width() == 1200 and image.height() > 200
        colours = {image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)}
        assert len(colours) > 8, key          # drawn: axes, text, data — not a blank image
    with open(window.export_table(tmp_path / "agents.csv"), encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["坐席", "排名", "通话数", "坐席挂机占比 (%)", "较基线（百分点） (pp)"]
    assert [r[0] for r in rows[1:]] == ["1001", "1002"]             # ranked by agent share
    assert [float(v) for v in rows[1][2:5]] == [5, 100.0, 82.0]      # raw numbers a spreadsheet adds up
    share = window.charts["share"]
    assert share.caption == "2026-06-01 – 2026-06-07 · 全部坐席 · 全部类型"     # the PNG's title says the period
    assert share.plot.titleLabel.text == share.title                             # the window's title is back
    from .test_exports import read_workbook
    qtbot.waitUntil(lambda: bool(window.hours.grid), timeout=10_000)   # read last
    book = read_workbook(window.export_workbook(tmp_path / "all.xlsx"))
    assert "坐席" in book
    hours = book["时段"]                                              # the Hours tab too
    assert hours[2][:2] == ["星期", "10:00"] and sum(v or 0 for row in hours[3:] for v in row[1:]) == 15
    assert window.what_if_table.rowCount() == 3
    assert window.what_if_table.item(0, 0).text() == "解释 2 次（现行 3 次）"


def test_the_window_stays_responsive_while_it_loads(qtbot, team_file, monkeypatch):
    import time

    from PySide6.QtCore import QTimer

    from hangup_coach.store import reports

    window = open_dashboard(qtbot, team_file)
    slow = reports.build_report

    def build_slowly(*args, **kw):   # a big file: the figures take a while
        time.sleep(0.6)
        return slow(*args, **kw)
    monkeypatch.setattr(reports, "build_report", build_slowly)
    ticks = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(window.progress.isVisible()))
    timer.start()
    window.reload()
    qtbot.waitUntil(lambda: not window.loading, timeout=10_000)
    timer.stop()
    assert sum(ticks) >= 20          # the event loop kept turning, with the busy bar up, while it loaded
    assert not window.progress.isVisible()


def test_my_day_shows_only_the_agents_own_figures(qtbot, team_file):
    window = MyDay(team_file, POLICY, load_texts("en"), "1001", date(2026, 6, 5), 480)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: set(window.figures) == {"today", "week"}, timeout=10_000)
    today, week = window.figures["today"], window.figures["week"]
    assert (today.calls, today.agent_share) == (1, 1.0)
    assert week.calls == 5      # Monday 1 June … Friday 5 June, only agent 1001's calls
    assert window.cells[("my_calls", "week")].text() == "5"
    assert window.cells[("class_non_regular", "week")].text() == "0"     # 1002's calls are not shown
    assert window.cells[("my_share", "today")].text() == "100.0 %"
    assert window.chart.stacks["agent_ended"] == [5, 0, 0, 0]


def test_the_first_load_of_a_file_from_before_shows_how_far_it_has_got(qtbot, team_file, monkeypatch):
    from hangup_coach.store import tallies

    db = open_db(team_file)
    unbuild(db)
    db.conn.close()
    monkeypatch.setattr(tallies, "CHUNK_CALLS", 4)        # 15 calls: the what-if's and the tallies, 4 steps each
    window = Dashboard(team_file, POLICY, load_texts("en"), 480, date(2026, 6, 1), date(2026, 6, 7))
    qtbot.addWidget(window)
    seen = []
    window.loader.progress.connect(lambda done, total, _: seen.append((done, total, window.progress.maximum())))
    window.show()
    wait_loaded(qtbot, window)
    assert [s[:2] for s in seen] == [(n, 8) for n in range(1, 9)]
    assert all(total == maximum for _, total, maximum in seen)
    assert window.report.total.calls == 15


def unbuild(db) -> None:
    """The file as an old version left it: calls, no tallies (migration reports_0002 builds them once)."""
    for table in ("report_cells", "report_counts", "report_hours"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM report_what_if")
    db.execute("UPDATE report_offsets SET built_until = ''")
    db.execute("UPDATE report_what_if_built SET built_until = ''")
    db.conn.commit()


def test_closing_the_window_stops_a_long_first_load(qtbot, tmp_path, monkeypatch):
    import shutil

    from hangup_coach.store import tallies
    from tests.support.review_history import review_db

    path = tmp_path / "year.db"
    shutil.copy(review_db(20_000), path)          # a generated year
    db = open_db(path)
    unbuild(db)                                   # as a file from before the kept tallies
    db.conn.close()
    monkeypatch.setattr(tallies, "CHUNK_CALLS", 1000)   # built in 40 steps
    window = Dashboard(path, POLICY, load_texts("en"), 480, date(2025, 11, 23), date(2026, 11, 22))
    qtbot.addWidget(window)
    steps, loaded = [], []
    window.loader.progress.connect(lambda done, total, _: steps.append(done))
    window.loader.loaded.connect(lambda *_: loaded.append(1))
    window.show()
    qtbot.waitUntil(lambda: bool(steps), timeout=10_000)  # the first 1,000 calls are added up
    worker = window.loader._worker
    window.close()
    worker.pool.shutdown(wait=True)                 # the worker thread has ended …
    qtbot.wait(50)
    assert loaded == [] and max(steps) < 40         # … without finishing the year

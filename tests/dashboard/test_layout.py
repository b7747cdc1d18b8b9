"""The dashboard at the sizes a lead's screen has: 1024×700 (a small laptop), 1440×1000 and
2560×1440. The tick labels checked are the text rectangles pyqtgraph's axes really draw (their
`drawPicture` is watched while the window paints)."""

import shutil
from datetime import date

import pytest
from PySide6.QtCore import QRect, Qt

from hangup_coach.app.report_format import load_texts
from hangup_coach.app.resources import load_policy
from hangup_coach.ui.dashboard import Dashboard
from tests.support.review_history import review_db

SIZES = [(1024, 700), (1440, 1000), (2560, 1440)]


@pytest.fixture(scope="module")
def year_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("layout") / "year.db"
    shutil.copy(review_db(20_000), path)   # a generated year of a 50-agent team
    return path


def drawn_labels(window) -> dict:
    """{(chart, axis side): [(QRectF in the axis, text)]} as the axes draw them on the next paint."""
    seen = {}
    for key, chart in window.charts.items():
        for side in ("left", "bottom"):
            axis = chart.plot.getAxis(side)

            def watch(p, axis_spec, tick_specs, text_specs, key=key, side=side, axis=axis):
                seen[(key, side)] = [(rect, text) for rect, _, text in text_specs]
                type(axis).drawPicture(axis, p, axis_spec, tick_specs, text_specs)
            axis.drawPicture = watch
            axis.picture = None   # drawn again on the next paint
            axis.update()
    window.grab()   # paints every chart, as the screen would
    return seen


def check_tick_labels(window, lang, sizes, wait_until) -> None:
    """At each size, every axis labelled, no two labels touching, real dates on the day axis."""
    for width, height in sizes:
        window.resize(width, height)
        wait_until(lambda: window.size().width() == width)
        seen = drawn_labels(window)
        assert set(seen) == {(k, s) for k in window.charts for s in ("left", "bottom")}
        for (key, side), labels in seen.items():
            texts = [t for _, t in labels if t]
            assert len(texts) >= 2, (width, key, side, labels)   # every axis is labelled
            for i, (a, ta) in enumerate(labels):
                for b, tb in labels[i + 1:]:
                    assert not a.intersects(b), f"{width}×{height} {key} {side}: {ta!r} overlaps {tb!r}"
        # the day axis writes real dates: years, then month names in the window's language
        months = load_texts(lang)["months"].split()
        written = [t for _, t in seen[("share", "bottom")] if t]
        assert all(t in months or t.isdigit() for t in written) and set(written) & set(months), written
        # the agent axis names as many agents as fit, never fewer than a few
        assert len(seen[("grace", "bottom")]) >= (4 if width < 1400 else 10)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_no_two_tick_labels_overlap_at_laptop_to_4k_sizes(qtbot, year_file, lang):
    window = Dashboard(year_file, load_policy(), load_texts(lang), 480, date(2025, 11, 23), date(2026, 11, 22))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=60_000)
    check_tick_labels(window, lang, SIZES, lambda done: qtbot.waitUntil(done, timeout=5000))


AT_200 = """
import sys
from datetime import date
from PySide6.QtCore import QDeadlineTimer, QEventLoop, QThread
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from hangup_coach.app.report_format import load_texts
from hangup_coach.app.resources import load_policy
from hangup_coach.ui.dashboard import Dashboard
from tests.dashboard.test_layout import check_tick_labels

def wait_until(done, seconds=60):
    deadline = QDeadlineTimer(seconds * 1000)
    while not done():
        assert not deadline.hasExpired(), "timed out"
        app.processEvents(QEventLoop.AllEvents, 20)
        QThread.msleep(5)

assert app.devicePixelRatio() == 2.0, app.devicePixelRatio()
window = Dashboard(sys.argv[1], load_policy(), load_texts(sys.argv[2]), 480, date(2025, 11, 23), date(2026, 11, 22))
window.show()
wait_until(lambda: window.report is not None and not window.loading)
check_tick_labels(window, sys.argv[2], [(1280, 720), (1920, 1080)], wait_until)   # 2560x1440 and 4K at 200 %
print("ok")
"""


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_at_200_percent_on_1440p_and_4k_no_two_tick_labels_overlap(year_file, lang):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", AT_200, str(year_file), lang], env=env, capture_output=True,
                         text=True, timeout=120, cwd=root)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def test_the_layout_covers_nothing_and_the_agent_table_is_whole(qtbot, year_file):
    window = Dashboard(year_file, load_policy(), load_texts("zh_CN"), 480, date(2025, 11, 23), date(2026, 11, 22))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=60_000)
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.waitUntil(lambda: window.size().width() == width, timeout=5000)
        window.grab()
        # every chart, tile and the tab bar sit side by side, none over another, all inside the window
        boxes = [chart.widget for chart in window.charts.values()] + window.tiles.tiles
        rects = [QRect(w.mapTo(window, w.rect().topLeft()), w.size()) for w in boxes]
        for i, a in enumerate(rects):
            assert window.rect().contains(a), (width, a)
            for b in rects[i + 1:]:
                assert not a.intersects(b), (width, a, b)
        assert all(chart.widget.height() >= 150 for chart in window.charts.values()), width
        # the tiles show their whole text (nothing clipped at the laptop size)
        for tile in window.tiles.tiles:
            assert tile.height() >= tile.layout().totalHeightForWidth(tile.width()) - 1, (width, tile.figure.key)
    table = window.agent_table
    window.tabs.setCurrentWidget(table)
    assert table.rowCount() == 50
    assert table.height() > window.height() * 0.5        # the table has the window's height, not a strip
    ranks = [int(table.item(r, 1).text()) for r in range(table.rowCount())]
    assert ranks == list(range(1, 51))
    shares = [table.item(r, 3).data(Qt.UserRole) for r in range(50)]
    assert shares == sorted(shares, reverse=True)
    table.sortItems(2, Qt.DescendingOrder)               # by calls: numbers, not text ("999" < "1,000")
    calls = [table.item(r, 2).data(Qt.UserRole) for r in range(50)]
    assert calls == sorted(calls, reverse=True) and calls[0] > calls[-1]
    head = table.horizontalHeaderItem(3).text()
    assert "团队中位数" in head and "目标 ≥ 35.0 %" in head
    table.selectRow(0)
    assert table.selected_agent() == table.item(0, 0).text()
    with qtbot.waitSignal(table.agent_activated) as activated:
        table.cellDoubleClicked.emit(0, 0)
    assert activated.args == [table.item(0, 0).text()]

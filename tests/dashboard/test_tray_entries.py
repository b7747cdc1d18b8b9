"""The card's tray: "My day" for every agent, "Dashboard" only for a lead."""

import sys
from datetime import date

from PySide6.QtWidgets import QApplication

from hangup_coach.app.resources import load_policy
from hangup_coach.launch.reports import tray_entries
from hangup_coach.store.db import open_db
from hangup_coach.ui.dashboard import Dashboard
from hangup_coach.ui.my_day import MyDay

from .conftest import add_call


def test_an_agent_gets_my_day_and_a_lead_also_the_dashboard(qtbot, tmp_path):
    path = tmp_path / "calls.db"
    add_call(open_db(path), "2026-06-01 10:00:00")
    agent = tray_entries(path, load_policy(), "zh_CN", "1001", "agent")
    assert [label for label, _ in agent] == ["我的今天"]
    lead = tray_entries(path, load_policy(), "en", "1001", "lead")
    assert [label for label, _ in lead] == ["My day", "Hang-up policy review"]

    lead[1][1]()        # the tray's Dashboard entry
    lead[1][1]()        # a second click brings the same window back
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, Dashboard) and w.isVisible()]
    assert len(windows) == 1
    qtbot.waitUntil(lambda: windows[0].report is not None, timeout=10_000)
    assert windows[0].report.query.last == date.today()
    agent[0][1]()
    days = [w for w in QApplication.topLevelWidgets() if isinstance(w, MyDay) and w.isVisible()]
    assert len(days) == 1 and days[0].agent_id == "1001"
    for w in windows + days:
        w.close()


def test_a_closed_window_opens_again_from_the_tray_and_loads(qtbot, tmp_path):
    path = tmp_path / "calls.db"
    add_call(open_db(path), "2026-06-01 10:00:00")
    entries = tray_entries(path, load_policy(), "en", "1001", "lead")
    entries[1][1]()
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, Dashboard) and w.isVisible())
    window.close()                      # closed while (or after) loading: its worker is stopped
    entries[1][1]()                     # the tray again: the same window, a new worker
    assert window.isVisible()
    window.report = None
    window.reload()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=10_000)
    window.close()


def test_without_the_lead_package_an_agent_has_my_day_in_numbers_and_no_dashboard(qtbot, tmp_path, monkeypatch,
                                                                                   capsys):
    """The agent's package leaves pyqtgraph and numpy to hangup-coach-lead (packaging/make_debs.py)."""
    from hangup_coach.app.cli import parse_args
    from hangup_coach.app.report_format import load_texts
    from hangup_coach.launch import reports

    monkeypatch.setitem(sys.modules, "pyqtgraph", None)              # `import pyqtgraph` fails
    monkeypatch.setitem(sys.modules, "hangup_coach.ui.charts", None)
    path = tmp_path / "calls.db"
    add_call(open_db(path), date.today().isoformat() + " 10:00:00", agent="1001")
    assert not reports.charts_installed()
    assert [label for label, _ in tray_entries(path, load_policy(), "en", "1001", "lead")] == ["My day"]
    window = MyDay(path, load_policy(), load_texts("en"), "1001", date.today(), 0)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "week" in window.figures, timeout=10_000)
    assert window.chart is None and window.cells[("my_calls", "week")].text() == "1"
    for argv in (["dashboard", "--db", str(path)], ["report", "--db", str(path), "--png", str(tmp_path / "png")]):
        assert reports.run(parse_args(argv)) == 2
        assert "hangup-coach-lead" in capsys.readouterr().err
    assert not (tmp_path / "png").exists()

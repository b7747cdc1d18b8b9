"""The manager's multi-team view on the desktop, against a real server process: `hangup-coach
report --server` and the dashboard's Teams tab read GET /v1/reports/teams with this PC's login;
a manager sees the teams of its site, a lead its team; no login, a refused token or a server
that is down are said in the user's language and the rest of the dashboard goes on."""

import csv
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.report_format import load_texts
from hangup_coach.app.team_report import fetch, fetch_logged_in
from hangup_coach.sync.client import SyncClient
from hangup_coach.sync.credentials import Credentials
from hangup_coach.ui.dashboard import Dashboard
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call

from .test_dashboard import POLICY, team_file  # noqa: F401  (fixture)
from .test_exports import read_workbook

DAY = date(2026, 6, 1)                                          # local (UTC+8)
START = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)         # 10:00 local


@pytest.fixture(scope="module")
def centre(tmp_path_factory):
    """A server with calls of two Shanghai teams and a Beijing one; tokens of a manager, a lead and an agent."""
    folder = tmp_path_factory.mktemp("centre")
    database = str(folder / "server.db")
    with ServerProcess(database) as server:
        for agent, team, site, ended in (("1001", "north", "shanghai", ["agent", "customer", "customer"]),
                                         ("1002", "south", "shanghai", ["agent"]),
                                         ("2001", "east", "beijing", ["customer"])):
            pusher = Device(server, *add_device(database, agent, "agent", team, site))
            try:
                records = [call(agent, started=START + timedelta(minutes=i), ended_by=by) for i, by in enumerate(ended)]
                assert pusher.push(records).status_code == 200
            finally:
                pusher.close()
        tokens = {role: add_device(database, f"{role}-1", role, "north", "shanghai")[1]
                  for role in ("manager", "lead", "agent")}
        yield server, tokens


def cli(home, *args):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), TZ="Asia/Shanghai")
    return subprocess.run([sys.executable, "-m", "hangup_coach", "report", "--server", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def login(home, server, token):
    Credentials(home / "config", use_keyring=False).save(server.url, token)


def test_report_server_prints_the_teams_a_manager_may_read(centre, tmp_path):
    server, tokens = centre
    manager = tmp_path / "manager"
    login(manager, server, tokens["manager"])
    out = cli(manager, "--since", "2026-06-01", "--until", "2026-06-01", "--format", "json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["scope"] == "site"
    assert {(t["site"], t["team"]): (t["tally"]["calls"], t["tally"]["agent_ended"]) for t in body["teams"]} == {
        ("shanghai", "north"): (3, 1), ("shanghai", "south"): (1, 1)}
    assert body["total"]["calls"] == 4
    assert tokens["manager"] not in out.stdout + out.stderr

    table = cli(manager, "--since", "2026-06-01", "--until", "2026-06-01", "--lang", "zh_CN")
    assert table.returncode == 0, table.stderr
    assert "本站点" in table.stdout and "全部班组" in table.stdout
    north = next(line for line in table.stdout.splitlines() if "north" in line)
    assert "33.3 %" in north   # 1 of the 3 calls the agent or the customer ended
    as_csv = cli(manager, "--since", "2026-06-01", "--until", "2026-06-01", "--format", "csv", "--lang", "en")
    heads, *rows = list(csv.reader(as_csv.stdout.splitlines()))
    assert heads[3].endswith("(%)") and [row[:4] for row in rows][0] == ["shanghai", "north", "3", "33.33"]

    lead = tmp_path / "lead"
    login(lead, server, tokens["lead"])
    led = json.loads(cli(lead, "--since", "2026-06-01", "--until", "2026-06-01", "--format", "json").stdout)
    assert [(t["site"], t["team"]) for t in led["teams"]] == [("shanghai", "north")] and led["scope"] == "team"


def test_report_server_says_why_not(centre, tmp_path):
    server, tokens = centre
    nobody = cli(tmp_path / "nobody", "--lang", "en")
    assert nobody.returncode == 2 and "not logged in" in nobody.stderr
    agent = tmp_path / "agent"
    login(agent, server, tokens["agent"])
    refused = cli(agent, "--lang", "zh_CN")
    assert refused.returncode == 2 and "中心服务器拒绝了请求" in refused.stderr and "403" in refused.stderr
    manager = tmp_path / "manager"
    login(manager, server, tokens["manager"])
    too_long = cli(manager, "--since", "2024-01-01", "--until", "2026-06-01", "--lang", "en")
    assert too_long.returncode == 2 and "will not add up this period" in too_long.stderr and "400" in too_long.stderr
    filtered = cli(manager, "--agent", "1001", "--lang", "en")
    assert filtered.returncode == 2 and "--since" in filtered.stderr
    down = tmp_path / "down"   # nothing listens on port 9
    Credentials(down / "config", use_keyring=False).save("http://127.0.0.1:9", tokens["manager"])
    unreachable = cli(down, "--lang", "en")
    assert unreachable.returncode == 1 and "did not answer" in unreachable.stderr
    assert tokens["manager"] not in unreachable.stderr


def test_the_teams_tab_shows_the_servers_figures_off_the_gui_thread(qtbot, centre, team_file):  # noqa: F811
    server, tokens = centre

    def from_server(first, last, utc_offset):
        with SyncClient(server.url, tokens["manager"]) as client:
            return fetch(client, first, last, utc_offset)
    window = Dashboard(team_file, POLICY, load_texts("en"), 480, DAY, DAY, teams_from=from_server)
    qtbot.addWidget(window)
    window.show()
    panel = window.teams_panel
    assert panel.asked is None   # nothing asked while the tab is not shown
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=20_000)
    rows = [[panel.table.item(r, c).text() for c in range(3)] for r in range(panel.table.rowCount())]
    assert rows == [["shanghai", "north", "3"], ["shanghai", "south", "1"], ["All teams", "", "4"]]
    horizontal = [panel.table.item(0, c).textAlignment() & Qt.AlignHorizontal_Mask for c in range(3)]
    assert horizontal == [Qt.AlignLeft, Qt.AlignLeft, Qt.AlignRight]   # site and team are names, calls a figure
    assert "your site" in panel.title.text() and panel.status.isHidden()
    qtbot.waitUntil(lambda: not window.loading, timeout=20_000)   # the file's own figures, unaffected
    assert window.report.total.calls == 3   # this PC's file: its own three calls of the day

    # a new period while the tab is shown asks again; the answer of the older one is dropped
    window.last.setDate(window.last.date().addDays(1))
    qtbot.waitUntil(lambda: panel.asked is not None and panel.asked[1] == date(2026, 6, 2), timeout=5_000)
    qtbot.waitUntil(lambda: not panel.waiting, timeout=20_000)
    assert panel.table.item(panel.table.rowCount() - 1, 2).text() == "4"


def test_the_teams_tab_exports_like_the_other_tables(qtbot, centre, team_file, tmp_path):  # noqa: F811
    server, tokens = centre

    def from_server(first, last, utc_offset):
        with SyncClient(server.url, tokens["manager"]) as client:
            return fetch(client, first, last, utc_offset)
    window = Dashboard(team_file, POLICY, load_texts("en"), 480, DAY, DAY, teams_from=from_server)
    qtbot.addWidget(window)
    window.show()
    window.export_menu.aboutToShow.emit()
    assert not window.export_teams_action.isEnabled()   # nothing from the server yet
    panel = window.teams_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=20_000)
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=20_000)
    window.export_menu.aboutToShow.emit()
    assert window.export_teams_action.isEnabled()

    with open(window.export_teams_table(tmp_path / "teams.csv"), encoding="utf-8-sig", newline="") as f:
        heads, *rows = list(csv.reader(f))
    assert heads[:3] == ["Site", "Team", "calls"]
    assert heads[3] == "Hang-ups by the agent (target ≥ 35.0 %) (%)" and heads[4].endswith("(s)")
    assert [row[:4] for row in rows] == [["shanghai", "north", "3", "33.33"], ["shanghai", "south", "1", "100.0"],
                                         ["All teams", "", "4", "50.0"]]   # raw numbers a spreadsheet adds up

    book = read_workbook(window.export_workbook(tmp_path / "all.xlsx"))
    teams = book["Teams"]
    assert "your site" in teams[0][0] and "2026-06-01" in teams[0][0]
    assert teams[2][:3] == ["Site", "Team", "calls"] and teams[2][4].endswith("(s)")
    assert teams[3][:3] == ["shanghai", "north", 3.0] and teams[3][3] == pytest.approx(1 / 3)
    assert teams[5][:3] == ["All teams", None, 4.0] and teams[5][3] == pytest.approx(0.5)
    assert "Agents" in book   # the dashboard's own tables are still there

    # another period while the tab is hidden: its table is of the old period, left out of the workbook
    window.tabs.setCurrentIndex(0)
    window.last.setDate(window.last.date().addDays(1))
    qtbot.waitUntil(lambda: window.report is not None and window.report.query.last == date(2026, 6, 2)
                    and not window.loading, timeout=20_000)
    assert "Teams" not in read_workbook(window.export_workbook(tmp_path / "later.xlsx"))


def test_the_teams_tab_without_a_login_or_server_says_so_and_the_rest_works(qtbot, team_file, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "home"))   # no login saved here
    window = Dashboard(team_file, POLICY, load_texts("zh_CN"), 480, DAY, date(2026, 6, 7), teams_from=fetch_logged_in)
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.teams_panel)
    qtbot.waitUntil(lambda: "尚未登录" in window.teams_panel.status.text(), timeout=10_000)
    assert window.teams_panel.table.rowCount() == 0
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=20_000)
    assert window.report.total.calls == 15

    Credentials(tmp_path / "home" / "config", use_keyring=False).save("http://127.0.0.1:9", "t0ken")
    window.reload()
    qtbot.waitUntil(lambda: "没有应答" in window.teams_panel.status.text(), timeout=20_000)

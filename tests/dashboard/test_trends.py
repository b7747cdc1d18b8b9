"""Week on week, month on month, each agent's weekly trend and the hours of the week: in the
report's data, its text, and the dashboard's Trends and Hours tabs."""

from datetime import date, timedelta

from hangup_coach.app.report_format import agent_week_rows, hour_rows, load_texts, period_rows, render
from hangup_coach.app.resources import load_policy
from hangup_coach.store.reports import ReportQuery, build_report, hour_grid
from hangup_coach.ui.dashboard import Dashboard

from .conftest import add_call

LAST = date(2026, 6, 28)   # a Sunday


def fill(db):
    """Agent 1001: 2 calls a day for the 30 days before the last 30, then 3 a day; in the last
    7 days every call ended by the agent, before that one in three. Agent 1002: one call on
    Mondays at 09:xx only."""
    for back in range(60):
        day = LAST - timedelta(days=back)
        for n in range(3 if back < 30 else 2):
            ended = "agent" if back < 7 or n == 0 and back < 30 else "customer"
            add_call(db, f"{day.isoformat()} 1{n}:00:00", agent="1001", ended_by=ended)
        if day.weekday() == 0:
            add_call(db, f"{day.isoformat()} 09:30:00", agent="1002", ended_by="agent")


def test_week_on_week_month_on_month_and_the_agent_weeks(db):
    fill(db)
    report = build_report(db, ReportQuery(LAST - timedelta(days=13), LAST, utc_offset_minutes=480), load_policy())
    before, now = report.periods["week"]
    assert (before.calls, now.calls) == (22, 22)                   # 7×3 + a Monday each
    assert now.agent_share == 1.0 and before.agent_share == 8 / 22
    before, now = report.periods["month"]
    assert (before.calls, now.calls) == (60 + 4, 90 + 4)           # the 30 days before the range are counted too
    heads, rows = period_rows(report, load_texts("en"))
    assert heads[1:4] == ["previous 7 days", "last 7 days", "week on week"]
    assert rows[1][:4] == ["Hang-ups by the agent", "36.4 %", "100.0 %", "+63.6 pp (up)"]
    weeks = report.agent_weeks["1001"]
    assert [m for m, _ in weeks] == [date(2026, 6, 15), date(2026, 6, 22)]          # Mondays of the range
    assert [t.agent_share for _, t in weeks] == [7 / 21, 1.0]
    heads, rows = agent_week_rows(report, load_texts("zh_CN"))
    assert heads[1:3] == ["06-15 周", "06-22 周"] and rows[0] == ["1001", "33.3 %", "100.0 %", "+66.7 个百分点 (上升)"]


def test_calls_by_weekday_and_hour(db):
    fill(db)
    query = ReportQuery(LAST - timedelta(days=13), LAST, utc_offset_minutes=480)
    grid = hour_grid(db, query)
    assert grid[(0, 9)] == (2, 2, 0)                     # 1002 on the two Mondays at 09:30 local
    assert grid[(6, 10)] == (2, 2, 0) and grid[(3, 11)] == (2, 1, 1)
    assert sum(v[0] for v in grid.values()) == 14 * 3 + 2
    heads, rows = hour_rows(grid, load_texts("en"))
    assert heads == ["weekday", "09", "10", "11", "12"] and rows[0] == ["Mon", "2", "2", "2", "2"]
    md = render(build_report(db, query, load_policy()), "md", load_texts("en"), hours=grid)
    assert "## Trends" in md and "## Hours" in md and "| Mon | 2 | 2 | 2 | 2 |" in md


def test_the_dashboard_shows_trends_and_hours(qtbot, db, tmp_path):
    fill(db)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    window = Dashboard(path, load_policy(), load_texts("en"), 480, LAST - timedelta(days=13), LAST)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading and bool(window.hours.grid),
                    timeout=15_000)
    trends = window.trends
    assert trends.periods.item(1, 3).text() == "+63.6 pp (up)"
    window.agent_table.selectRow([window.agent_table.item(r, 0).text() for r in range(2)].index("1002"))
    assert trends.agent.currentText() == "1002"                  # the table's selection picks the agent
    assert [y for _, y in trends.series["agent"]] == [1.0, 1.0]
    assert [round(y, 3) for _, y in trends.series["team"]] == [round(8 / 22, 3), 1.0]
    assert window.hours.table.item(0, 1).text() == "2" and window.hours.table.rowCount() == 7


def test_a_team_or_shift_filters_the_dashboard_and_the_report(qtbot, db, tmp_path):
    from .test_cli import run

    fill(db)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    window = Dashboard(path, load_policy(), load_texts("en"), 480, LAST - timedelta(days=13), LAST,
                       teams={"Mondays": ("1002",), "Everyone": ("1001", "1002")})
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.report is not None and not window.loading, timeout=15_000)
    assert window.report.total.calls == 44
    window.team.setCurrentIndex(window.team.findText("Mondays"))
    qtbot.waitUntil(lambda: window.report.query.agents == ("1002",) and not window.loading, timeout=15_000)
    assert window.report.total.calls == 2 and window.agent_table.agents() == ["1002"]

    config = tmp_path / "home" / "config"
    config.mkdir(parents=True)
    (config / "teams.toml").write_text('[teams]\n"早班" = ["1002", "1009"]\n', encoding="utf-8")
    out = run("report", "--db", path, "--team", "早班", "--since", "2026-06-15", "--until", "2026-06-28",
              "--format", "json", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"agents": [\n   "1002",\n   "1009"\n  ]' in out.stdout and '"calls": 2,' in out.stdout
    out = run("report", "--db", path, "--team", "night", "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 2 and "no team night in teams.toml (teams there: 早班)" in out.stderr

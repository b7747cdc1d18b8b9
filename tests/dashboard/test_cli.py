"""`hangup-coach report | import-feedback` as a lead runs them (real subprocesses)."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from hangup_coach.store.db import open_db

from .conftest import add_call


def run(*args, tmp_path, code=None):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "home"), TZ="Asia/Shanghai")
    env.pop("QT_QPA_PLATFORM", None)   # report --png must render off screen by itself
    if code:
        return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
    return subprocess.run([sys.executable, "-m", "hangup_coach", *args], env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def team_db(tmp_path):
    path = tmp_path / "team.db"
    db = open_db(path)
    add_call(db, "2026-05-20 10:00:00", agent="1001", ended_by="agent", talk=120)
    add_call(db, "2026-05-20 11:00:00", agent="1001", ended_by="customer", talk=60)
    add_call(db, "2026-06-15 10:00:00", agent="1002", ended_by="agent", talk=90, cls="non_regular", explanations=3,
             allowed=60)
    add_call(db, "2026-06-15 11:00:00", agent="1002", ended_by="agent", closure=50, allowed=52, talk=55)
    db.conn.close()
    return path


def test_report_json_and_csv_give_the_same_figures(team_db, tmp_path):
    out = run("report", "--db", str(team_db), "--since", "2026-05-01", "--until", "2026-06-30", "--format", "json",
              "--what-if", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["total"]["calls"] == 4 and data["total"]["agent_share"] == 0.75
    assert data["before_policy"]["agent_share"] == 0.5 and data["since_policy"]["agent_share"] == 1.0
    assert data["policy"] == {"start": "2026-06-01", "baseline_agent_share": 0.18}
    assert set(data["agents"]) == {"1001", "1002"} and len(data["days"]) == 61
    assert data["explanations_per_non_regular_call"]["3"] == 1
    assert [w["scenario"] for w in data["what_if"]] == ["explanations=2", "explanations=4", "grace=3"]
    out = run("report", "--db", str(team_db), "--since", "2026-05-01", "--until", "2026-06-30", "--format", "csv",
              "--agent", "1002", tmp_path=tmp_path)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    figure = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert figure[("total", "", "calls")] == "2" and figure[("range", "", "agents")] == "1002"
    assert ("agents", "1001", "calls") not in figure


def test_report_table_and_markdown_in_both_languages(team_db, tmp_path):
    md = run("report", "--db", str(team_db), "--since", "2026-05-01", "--until", "2026-06-30", "--format", "md",
             "--lang", "en", "--what-if", "grace=3", tmp_path=tmp_path).stdout
    assert md.startswith("# Hang-up policy review: 2026-05-01 – 2026-06-30")
    assert "| agent | rank | calls |" in md and "| 1002 | 1 | 2 | 100.0 % | +82.0 |" in md and "3 s wait (now 2 s)" in md
    table = run("report", "--db", str(team_db), "--since", "2026-05-01", "--until", "2026-06-30",
                "--lang", "zh_CN", tmp_path=tmp_path).stdout
    assert "坐席主动挂机占比：75.0 %（基线 18 %）；规范实施前 50.0 %，实施后 100.0 %" in table


def test_report_png_writes_real_chart_images_without_a_display(team_db, tmp_path):
    out = run("report", "--db", str(team_db), "--since", "2026-05-01", "--until", "2026-06-30",
              "--png", str(tmp_path / "charts"), tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert names == ["dashboard-classes.png", "dashboard-explanations.png", "dashboard-grace.png",
                     "dashboard-share.png"]
    for name in names:
        image = QImage(str(tmp_path / "charts" / name))
        assert (image.width(), image.height()) == (1200, 600)
        colours = {image.pixel(x, y) for x in range(0, 1200, 7) for y in range(0, 600, 7)}
        assert len(colours) > 8   # axes, text and bars, not a blank page


def test_bad_arguments_and_files_get_a_clear_error(team_db, tmp_path):
    out = run("report", "--db", str(team_db), "--what-if", "speed=2", tmp_path=tmp_path)
    assert out.returncode == 2 and "explanations=N or grace=SECONDS" in out.stderr
    out = run("report", "--db", str(team_db), "--since", "2026-06-30", "--until", "2026-06-01", tmp_path=tmp_path)
    assert out.returncode == 2 and "is after" in out.stderr
    out = run("report", "--db", str(tmp_path / "none.db"), "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 1 and "no call database" in out.stderr
    out = run("report", "--db", str(team_db), "--agent", "1009", "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 2 and "agent 1009 has no calls in this file (agents here: 1001, 1002)" in out.stderr
    # a mistyped --db never makes a new database, whatever the command
    for command in (["import-feedback", str(tmp_path / "any.csv")], ["report"]):
        out = run(command[0], "--db", str(tmp_path / "typo.db"), *command[1:], tmp_path=tmp_path)
        assert out.returncode == 1 and "找不到通话数据库" in out.stderr and not (tmp_path / "typo.db").exists()


def test_import_feedback_names_the_bad_line_and_imports_nothing(team_db, tmp_path):
    bad = tmp_path / "survey.csv"
    bad.write_text("call_id,date,score\nc1,2026-06-01,4\nc2,2026-06-02,very good\n", encoding="utf-8")
    out = run("import-feedback", "--db", str(team_db), str(bad), "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 2 and "survey.csv, line 3: score 'very good' is not a number" in out.stderr
    assert "nothing was imported" in out.stderr
    out = run("import-feedback", "--db", str(team_db), str(bad), "--lang", "zh_CN", tmp_path=tmp_path)
    assert out.returncode == 2 and "survey.csv，第 3 行：满意度“very good”不是数字；未导入任何数据" in out.stderr
    good = tmp_path / "good.csv"
    good.write_text("number,date,complaint\n13800138000,2026-06-16,是\n", encoding="utf-8")
    out = run("import-feedback", "--db", str(team_db), str(good), "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 0 and "imported 1 feedback rows from good.csv" in out.stdout
    db = open_db(team_db)
    assert db.execute("SELECT caller_number, complaint FROM feedback").fetchall() == [("+8613800138000", 1)]


LOADED = ("import sys; from hangup_coach.__main__ import main; rc = main(sys.argv[1:]);"
          " print(rc, 'PySide6' in sys.modules, 'pyqtgraph' in sys.modules)")


def test_report_loads_no_qt_and_the_card_no_pyqtgraph(team_db, tmp_path):
    out = run("report", "--db", str(team_db), "--format", "json", code=LOADED, tmp_path=tmp_path)
    assert out.stdout.splitlines()[-1] == "0 False False", out.stderr
    env_code = "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; " + LOADED
    out = run("--smoke", "--db", str(tmp_path / "card.db"), code=env_code, tmp_path=tmp_path)
    assert out.stdout.splitlines()[-1] == "0 True False", out.stderr

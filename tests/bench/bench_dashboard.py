"""Benchmark: the review figures and the dashboard on a generated year of a 50-agent team.

    python tests/bench/bench_dashboard.py [--quick]      # prints the figures as JSON
    python tests/bench/bench_dashboard.py --first-chart [--quick]   # the budgets only: first chart, what-if (minutes)

Data: `tests/support/review_history.review_db()` (1.8 M calls over 365 days, 50 agents, with
feedback; --quick: 200,000), built once and cached, copied for each run because the report
writes its kept tallies into the file. Figures:
- cold: the first report of the whole year on a file whose tallies were never kept (every day
  added up from `calls`), once;
- warm: the same report again (the kept tallies, the usual case), the median of several runs,
  also for one agent's year, and the what-if (read straight from `calls`);
- first chart: from importing the window's module to its first chart drawn, on a year whose
  tallies are kept, in a new Python process each time (pyqtgraph's import paid as a lead pays it);
- draw: the GUI-thread part of showing a year (four charts, the summary and the tables);
- responsiveness: the largest gap between turns of the event loop (a 5 ms timer) while the
  dashboard loads a cold year in its worker, against the same window sitting idle;
- lead_*: the same figures on a lead's file, where every call but the lead's own (agent 1007's)
  came from the team pull into `team_calls`, beside caller-profile evidence rows for a tenth of
  them (migration 0007's view `review_calls` reads both tables).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.review_history import review_db  # noqa: E402

FIRST, LAST = date(2025, 11, 23), date(2026, 11, 22)   # the generated year, local days (review_history)
OFFSET = 480


def _forget_tallies(db) -> None:
    """The file as a version from before the kept tallies left it (they are built once, then kept)."""
    for table in ("report_cells", "report_counts", "report_hours", "report_what_if"):
        db.execute(f"DELETE FROM {table}")
    db.execute("UPDATE report_offsets SET built_until = ''")
    db.execute("UPDATE report_what_if_built SET built_until = ''")
    db.conn.commit()


def _timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def measure(quick: bool = False) -> dict:
    from hangup_coach.app.qt_clock import keep_gui_thread_responsive
    from hangup_coach.app.resources import load_policy
    from hangup_coach.core.stats import DEFAULT_SCENARIOS
    from hangup_coach.store.db import open_db
    from hangup_coach.store.reports import ReportQuery, build_report, what_if
    from hangup_coach.store.tallies import keep_tallies

    calls = 200_000 if quick else 1_800_000
    source = review_db(calls)
    work = Path(tempfile.mkdtemp(prefix="hc-bench-dash-"))
    try:
        path = work / "team.db"
        shutil.copy(source, path)
        policy = load_policy()
        year = ReportQuery(FIRST, LAST, utc_offset_minutes=OFFSET)
        db = open_db(path)
        _forget_tallies(db)
        build = _timed(lambda: keep_tallies(db, OFFSET), 1)[0]   # once per file from before, with progress
        db.conn.close()
        db = open_db(path)   # a new connection: the first report of a year never reported (tallies kept)
        db.execute("PRAGMA cache_size = -64000")
        cold = _timed(lambda: build_report(db, year, policy), 1)[0]
        runs = 3 if quick else 7
        warm = _timed(lambda: build_report(db, year, policy), runs)
        one = ReportQuery(FIRST, LAST, agents=("1007",), utc_offset_minutes=OFFSET)
        agent = _timed(lambda: build_report(db, one, policy), runs)
        whatif = _timed(lambda: what_if(db, year, policy, DEFAULT_SCENARIOS), 3 if quick else 5)
        report = build_report(db, year, policy)
        lead = _lead_figures(source, work / "lead.db", year, policy, runs)   # before the window's worker runs
        first_chart = statistics.median(_window_in_new_process(path)["first_chart_ms"] for _ in range(3))
        keep_gui_thread_responsive()
        draw, idle_gap, loading_gap, shown, _ = _dashboard(path, db, report, policy, runs)
        db.conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "calls": calls, "build_ms": build, "cold_ms": cold, "warm_ms": statistics.median(warm), "warm_spread": [min(warm), max(warm)],
        "agent_ms": statistics.median(agent), "what_if_ms": statistics.median(whatif),
        "draw_ms": statistics.median(draw), "draw_spread": [min(draw), max(draw)],
        "open_ms": shown, "first_chart_ms": first_chart, "idle_gap_ms": idle_gap, "loading_gap_ms": loading_gap, **lead,
    }


def _lead_figures(source: Path, path: Path, year, policy, runs: int) -> dict:
    """The figures of a lead's file, on a copy of the generated year of its own."""
    import dataclasses

    from hangup_coach.core.stats import DEFAULT_SCENARIOS
    from hangup_coach.store.db import open_db
    from hangup_coach.store.pulled import CALL_COLUMNS
    from hangup_coach.store.reports import agent_ids, build_report, what_if

    shutil.copy(source, path)
    db = open_db(path)
    db.execute("PRAGMA cache_size = -64000")
    columns = ", ".join(CALL_COLUMNS)
    with db.atomic():
        db.execute("CREATE TEMP TABLE moved AS SELECT * FROM calls WHERE agent_id != '1007'")
        db.execute("DELETE FROM calls WHERE agent_id != '1007'")   # first: a team row is never an own call
        db.execute(f"INSERT INTO team_calls (call_id, {columns}, version) SELECT id, {columns}, version FROM moved")
        db.execute("DROP TABLE moved")
        db.execute("INSERT INTO team_calls (call_id, agent_id, caller_number, started_at, caller_class, updated_at)"
                   " SELECT 'evidence-' || call_id, 'other-team', caller_number, started_at, caller_class, updated_at"
                   " FROM team_calls WHERE rowid % 10 = 0")
    _forget_tallies(db)
    cold = _timed(lambda: build_report(db, year, policy), 1)[0]
    warm = _timed(lambda: build_report(db, year, policy), runs)
    team_agent = dataclasses.replace(year, agents=("1008",))
    agent = _timed(lambda: build_report(db, team_agent, policy), runs)
    whatif = _timed(lambda: what_if(db, year, policy, DEFAULT_SCENARIOS), 3)
    agents = _timed(lambda: agent_ids(db), 3)
    db.conn.close()
    return {"lead_cold_ms": cold, "lead_warm_ms": statistics.median(warm), "lead_agent_ms": statistics.median(agent),
            "lead_what_if_ms": statistics.median(whatif), "lead_agent_ids_ms": statistics.median(agents)}


def _dashboard(path: Path, db, report, policy, runs: int):
    from PySide6.QtCore import QElapsedTimer, QLoggingCategory, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QLoggingCategory.setFilterRules("default.warning=false")
    from hangup_coach.app.report_format import load_texts

    t = time.perf_counter()
    from hangup_coach.ui.dashboard import Dashboard   # pyqtgraph and numpy come in here
    window = Dashboard(path, policy, load_texts("zh_CN"), OFFSET, FIRST, LAST)
    window.show()
    app.processEvents()
    shown = (time.perf_counter() - t) * 1000
    _wait(app, lambda: "share" in window.charts and bool(window.charts["share"].x), 120)   # the year's tallies are kept (the usual case)
    first_chart = (time.perf_counter() - t) * 1000
    _wait(app, lambda: not window.loading)

    draw = []
    for _ in range(runs):   # the GUI thread's share of showing a year: charts, summary, tables
        t = time.perf_counter()
        window._days_loaded(report, window.loader.request)
        window._loaded(report, window.loader.request)
        _wait(app, lambda: not window._drawing)
        draw.append((time.perf_counter() - t) * 1000)

    def gaps(during) -> float:
        stamps, clock = [], QElapsedTimer()
        clock.start()
        timer = QTimer(interval=5, timerType=Qt.PreciseTimer)
        timer.timeout.connect(lambda: stamps.append(clock.nsecsElapsed() / 1e6))
        timer.start()
        during()
        timer.stop()
        return max(b - a for a, b in zip(stamps, stamps[1:])) if len(stamps) > 1 else float("nan")

    idle = gaps(lambda: _wait(app, lambda: False, 1.5))

    def load_cold() -> None:
        window.reload()
        _wait(app, lambda: not window.loading, 120)
    _forget_tallies(db)   # before the clock runs: the benchmark's own delete is no part of the window
    loading = gaps(load_cold)
    window.close()
    return draw, idle, loading, shown, first_chart


def _wait(app, done, limit: float = 60.0) -> None:
    """Run the real event loop until done() (checked every 10 ms) or `limit` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, end = QEventLoop(), time.perf_counter() + limit
    poll = QTimer(interval=10)
    poll.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > end else None)
    poll.start()
    loop.exec()
    poll.stop()


def first_chart(quick: bool = False, runs: int = 5) -> dict:
    """The window's first chart, each run in a new Python process (so pyqtgraph's import is
    paid as when a lead opens the dashboard), on a year whose tallies are kept."""
    from hangup_coach.store.db import open_db
    from hangup_coach.store.tallies import keep_tallies

    calls = 200_000 if quick else 1_800_000
    work = Path(tempfile.mkdtemp(prefix="hc-bench-first-chart-"))
    try:
        path = work / "team.db"
        shutil.copy(review_db(calls), path)
        db = open_db(path)
        keep_tallies(db, OFFSET)   # the usual case: the card kept them as the calls were written
        what_if_runs = _what_if_times(db)
        db.conn.close()
        seen = [_window_in_new_process(path) for _ in range(runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    shown, first = [s["shown_ms"] for s in seen], [s["first_chart_ms"] for s in seen]
    return {"calls": calls, "runs": runs, "shown_ms": statistics.median(shown),
            "first_chart_ms": statistics.median(first), "first_chart_spread": [min(first), max(first)],
            "all_charts_ms": statistics.median(s["all_charts_ms"] for s in seen),
            "what_if_ms": statistics.median(w for w, _ in what_if_runs),
            "what_if_cpu_ms": statistics.median(c for _, c in what_if_runs), "load_average": os.getloadavg()}


def _what_if_times(db, runs: int = 5) -> list[tuple[float, float]]:
    """The what-if of the whole year (three scenarios): (wall ms, CPU ms of this process) per run."""
    from hangup_coach.app.resources import load_policy
    from hangup_coach.core.stats import DEFAULT_SCENARIOS
    from hangup_coach.store.reports import ReportQuery, what_if

    year, policy, out = ReportQuery(FIRST, LAST, utc_offset_minutes=OFFSET), load_policy(), []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        what_if(db, year, policy, DEFAULT_SCENARIOS)
        out.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return out


def _window_in_new_process(path: Path) -> dict:
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--window", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _one_window(path: Path) -> dict:
    """In a new process: the application up, then the clock runs from the dashboard's import to
    the share chart of the year drawn on screen (and on to every chart and tab filled)."""
    from PySide6.QtWidgets import QApplication

    from hangup_coach.app.qt_clock import keep_gui_thread_responsive
    from hangup_coach.app.report_format import load_texts
    from hangup_coach.app.resources import load_policy

    keep_gui_thread_responsive()
    app = QApplication(sys.argv[:1])
    policy, texts = load_policy(), load_texts("zh_CN")
    t = time.perf_counter()
    from hangup_coach.ui.dashboard import Dashboard
    window = Dashboard(path, policy, texts, OFFSET, FIRST, LAST)
    window.show()
    app.processEvents()
    shown = (time.perf_counter() - t) * 1000
    _wait(app, lambda: "share" in window.charts and bool(window.charts["share"].x), 120)
    window.charts["share"].widget.repaint()   # drawn on screen, not only handed its data
    first = (time.perf_counter() - t) * 1000
    _wait(app, lambda: not window.loading, 120)
    done = (time.perf_counter() - t) * 1000
    window.close()
    window.deleteLater()
    app.processEvents()
    return {"shown_ms": shown, "first_chart_ms": first, "all_charts_ms": done}


if __name__ == "__main__":
    if "--window" in sys.argv:
        print(json.dumps(_one_window(Path(sys.argv[sys.argv.index("--window") + 1]))))
    elif "--first-chart" in sys.argv:
        print(json.dumps(first_chart("--quick" in sys.argv), indent=1))
    else:
        print(json.dumps(measure("--quick" in sys.argv), indent=1))

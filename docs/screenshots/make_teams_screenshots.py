"""Screenshots of the dashboard's Teams tab (the manager's multi-team view) against a real server.

A throw-away server (SQLite, a free port on 127.0.0.1) gets a week of calls from four teams of
the Shanghai site and one of Beijing; a manager of Shanghai asks for them. The window is drawn
by Qt itself at 1024×700 and 1440×1000, in both languages:
    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_teams_screenshots.py
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from make_dashboard_screenshots import OFFSET, shoot, wait_until  # noqa: E402

from hangup_coach.app.report_format import load_texts  # noqa: E402
from hangup_coach.app.resources import load_policy  # noqa: E402
from tests.server.harness import Device, ServerProcess, add_device  # noqa: E402
from tests.server.records import call  # noqa: E402
from tests.support.review_history import review_db  # noqa: E402

FIRST, LAST = date(2026, 6, 1), date(2026, 6, 7)
TEAMS = (("shanghai", "north", 0.22), ("shanghai", "south", 0.35), ("shanghai", "east", 0.41),
         ("shanghai", "west", 0.18), ("beijing", "north", 0.30))   # site, team, how often the agent ends


def push_week(server: ServerProcess, database: str) -> None:
    rng = random.Random(7)
    for t, (site, team, agent_ends) in enumerate(TEAMS):
        for a in range(3):
            agent = f"{t + 1}0{a + 1:02d}"
            device = Device(server, *add_device(database, agent, "agent", team, site))
            try:
                records = []
                for n in range(rng.randint(60, 120)):
                    started = (datetime(2026, 6, 1, 1, tzinfo=timezone.utc)
                               + timedelta(days=rng.randrange(7), minutes=rng.randrange(600)))
                    talk = rng.lognormvariate(5, 0.5)
                    allowed = talk * rng.uniform(0.6, 0.95)
                    records.append(call(
                        agent, started=started, ended_by="agent" if rng.random() < agent_ends else "customer",
                        ended_at=(started + timedelta(seconds=3 + talk)).isoformat(timespec="milliseconds"),
                        hangup_allowed_at=(started + timedelta(seconds=3 + allowed)).isoformat(timespec="milliseconds"),
                        agent_ended_early=int(rng.random() < 0.03)))
                assert device.push(records).status_code == 200
            finally:
                device.close()


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841
    from hangup_coach.app.team_report import fetch
    from hangup_coach.sync.client import SyncClient
    from hangup_coach.ui.dashboard import Dashboard

    work = Path(tempfile.mkdtemp(prefix="hc-teams-shots-"))
    try:
        database = str(work / "server.db")
        with ServerProcess(database) as server:
            push_week(server, database)
            token = add_device(database, "m-1", "manager", "ops", "shanghai")[1]

            def from_server(first, last, utc_offset):
                with SyncClient(server.url, token) as client:
                    return fetch(client, first, last, utc_offset)
            path = work / "team.db"
            shutil.copy(review_db(20_000), path)
            for lang in ("zh_CN", "en"):
                window = Dashboard(path, load_policy(), load_texts(lang), OFFSET, FIRST, LAST, teams_from=from_server)
                window.show()
                window.tabs.setCurrentWidget(window.teams_panel)
                wait_until(lambda: window.teams_panel.figures is not None and not window.loading)
                for width, height in ((1024, 700), (1440, 1000)):
                    window.resize(width, height)
                    shoot(window, f"dashboard-teams-{lang}-{width}x{height}.png")
                window.close()
                window.deleteLater()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Screenshots of the lead's blocklist review queue (README, "The IVR blocklist").

Starts a real server on a throw-away SQLite file, lets an agent push a proposal with its evidence
call and a burst of nuisance calls (the server's worker blocks that number automatically), an
approved block to activate and an active one a customer complains about, then opens the window
as a logged-in lead and looks that number up:
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/screenshots/make_review_queue_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
work = Path(tempfile.mkdtemp(prefix="hc-rq-shots-"))
os.environ["HANGUP_COACH_HOME"] = str(work / "lead-home")
os.environ["HANGUP_COACH_BLOCKLIST_TICK"] = "0.2"

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from hangup_coach.app.blocklist_remote import BlocklistRemote  # noqa: E402
from hangup_coach.app.blocklist_server import BlocklistServer  # noqa: E402
from hangup_coach.app.paths import AppPaths  # noqa: E402
from hangup_coach.app.resources import load_scripts, load_texts  # noqa: E402
from hangup_coach.sync.credentials import Credentials  # noqa: E402
from hangup_coach.ui.review_queue import ReviewQueueWindow  # noqa: E402
from tests.server.harness import Device, ServerProcess, add_device  # noqa: E402
from tests.server.records import block_proposal, call  # noqa: E402

OUT = Path(__file__).parent


def wait_until(done, limit_ms: int = 30_000) -> None:
    loop, waited = QEventLoop(), [0]

    def check() -> None:
        waited[0] += 50
        if done() or waited[0] > limit_ms:
            loop.quit()
    timer = QTimer(interval=50)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()


def main() -> None:
    app = QApplication(sys.argv)
    database = str(work / "server.db")
    with ServerProcess(database) as server:
        agents = [Device(server, *add_device(database, f"100{i}")) for i in (1, 2, 3)]
        lead2 = Device(server, *add_device(database, "2002", "lead"))
        manager = Device(server, *add_device(database, "3001", "manager"))
        Credentials(AppPaths.detect().config, use_keyring=False).save(server.url, add_device(database, "2001", "lead")[1])
        now = datetime.now(timezone.utc)
        # a proposal from the card, with the call it was made on
        evidence = call("1001", "+8613812345678", started=now - timedelta(minutes=40), caller_class="no_value",
                        sub_reason="abuse", warnings=1, disposition="warned_and_ended")
        agents[0].push([evidence, block_proposal("+8613812345678", agent_id="1001", scope="week", reason="abuse",
                                                 call_id=evidence["id"])])
        # a burst: 12 calls in 12 minutes, three warned off by three agents
        for i in range(12):
            judged = {"warnings": 1, "caller_class": "no_value", "sub_reason": "harassment",
                      "disposition": "warned_and_ended"} if i < 3 else {"disposition": "other"}
            agents[i % 3].push([call(f"100{i % 3 + 1}", "+8615987654321", started=now - timedelta(minutes=12 - i),
                                     **judged)])
        # approved by a manager, waiting for an operator
        approved = block_proposal("+8613600001111", agent_id="1002", scope="permanent", reason="harassment")
        agents[1].push([approved])
        manager.http.post(f"/v1/blocklist/{approved['id']}/approve", json={"expected_version": 1})
        # active, not due for review: a customer complains; the lead looks the number up to lift it
        lifted = block_proposal("+8613900003333", agent_id="1002", scope="week", reason="abuse")
        agents[1].push([lifted])
        manager.http.post(f"/v1/blocklist/{lifted['id']}/approve", json={"expected_version": 1})
        lead2.http.post(f"/v1/blocklist/{lifted['id']}/activate", json={"expected_version": 2})
        # another out-of-scope proposal
        agents[2].push([block_proposal("+8618600002222", agent_id="1003", scope="day", reason="out_of_scope")])
        paths = AppPaths.detect()
        for lang in ("en", "zh_CN"):
            window = ReviewQueueWindow(BlocklistRemote(lambda: BlocklistServer(paths)), load_texts(lang),
                                       load_scripts(lang).label)
            window.resize(900, 560)
            window.show()
            window.reload()
            wait_until(lambda: len(window._blocks) >= 4)
            window.find_field.setText("139 0000 3333")
            window.find()
            wait_until(lambda: any(part == "found" for part, _ in window._blocks.values()))
            app.processEvents()
            window.grab().save(str(OUT / f"review-queue-{lang}.png"))
            print("wrote", OUT / f"review-queue-{lang}.png")
            window.close()
        for d in agents + [lead2, manager]:
            d.close()


if __name__ == "__main__":
    main()

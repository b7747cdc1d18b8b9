"""A call that starts before the database has opened (a loaded machine, a file held by another
program at start-up) is classified without its caller's history; once the file opens, the card
classifies it again from that history instead of leaving the guess."""

import dataclasses
import sqlite3
from datetime import datetime, timezone

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.ui.card import CoachCard

BRANCH_ONLY = "+8613600001111"


def test_a_call_rung_before_the_file_opened_is_classified_again_from_its_history(qtbot, tmp_path):
    db = tmp_path / "calls.db"
    seed = open_db(db)
    CallStore(seed).save_profile(BRANCH_ONLY, branch_only=True, now=datetime.now(timezone.utc))
    seed.conn.close()
    lock = sqlite3.connect(db, isolation_level=None)   # another program holds the file at start-up
    lock.execute("PRAGMA locking_mode = EXCLUSIVE")
    lock.execute("BEGIN EXCLUSIVE")
    controller = Controller(None, dataclasses.replace(load_policy(), grace_seconds=0.2), load_scripts("en"),
                            SystemClock(), QtScheduler(), Fill("1024"))
    card = CoachCard(controller, load_texts("en"))
    qtbot.addWidget(card)
    card.show()
    try:
        controller.attach_worker(StoreWorker(db))
        session = controller.start_manual_call("13600001111")
        assert session.record.caller_class == "regular"          # no history yet: a guess
        assert not card.buttons["explain"].isVisible()
        with qtbot.waitSignal(controller.store_ready, timeout=30_000):
            lock.execute("ROLLBACK")
            lock.close()
        assert (session.record.caller_class, session.record.sub_reason) == ("non_regular", "must_visit_branch")
        assert card.buttons["explain"].isVisible()
        card.press("explain")
        assert session.record.explanations == 1
        assert controller.worker.wait_saved(30)
    finally:
        lock.close()   # again if the test failed while it held the file
        controller.close(5)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT caller_class, explanations FROM calls").fetchall() == [("non_regular", 1)]
    finally:
        conn.close()

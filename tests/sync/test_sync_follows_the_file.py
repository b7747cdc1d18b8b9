"""The card's database deleted mid-shift: the store worker writes everything back into a new file,
and the sync worker (its own connection) follows it, so the calls made after the loss reach the
server without a restart of the card."""

import sqlite3

import pytest

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.paths import AppPaths
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.app.sync_setup import start_sync
from hangup_coach.store.db import open_db
from hangup_coach.ui.card import CoachCard
from tests.server.harness import add_device

from .agents import Agent, server_records


class FileEvents:
    def __init__(self):
        self.seen = []

    def add(self, event, _path):
        self.seen.append(event)


def wrapped_up_on_the_server(lead, call_id):
    """The server holds the call as the card last wrote it (an earlier round may have sent it unfinished)."""
    _version, row = server_records(lead).get(("call", call_id), (0, {}))
    return row.get("disposition") == "resolved"


def call(controller, number):
    session = controller.start_manual_call(number)
    controller.hang_up()
    session.wrap_up("resolved")
    return session.record.id


@pytest.mark.parametrize(("how", "event"), [("deleted", "recreated"), ("replaced", "kept_elsewhere")])
def test_calls_after_the_database_was_lost_reach_the_server_without_a_restart(qtbot, qapp, tmp_path, server,
                                                                                lead, monkeypatch, how, event):
    _, token = add_device(server.database, "2048")
    bob = Agent(tmp_path / "bob", "2048")
    bob.store.db.conn.close()                        # the card's store worker is the file's one writer
    assert bob.login(server.url, token).returncode == 0
    monkeypatch.setenv("HANGUP_COACH_HOME", str(bob.home))
    controller = Controller(None, load_policy(), load_scripts("en"), SystemClock(), QtScheduler(), Fill("2048"))
    texts = load_texts("en")
    card = CoachCard(controller, texts)
    qtbot.addWidget(card)
    events = FileEvents()
    controller.store_file_event.connect(events.add)     # disconnected below: nothing left to the GC
    worker = None
    try:
        with qtbot.waitSignal(controller.store_ready, timeout=30_000):
            controller.attach_worker(StoreWorker(bob.db_path))
        worker = start_sync(AppPaths.detect(), bob.db_path, controller, card, None, texts, qapp)
        worker.interval, worker.max_backoff = 3600.0, 0.5      # rounds only on sync_now
        first = call(controller, "13800138000")
        assert controller.wait_saved(15)
        worker.sync_now()
        qtbot.waitUntil(lambda: wrapped_up_on_the_server(lead, first), timeout=30_000)

        for suffix in ("", "-wal", "-shm"):                  # an over-eager clean-up
            bob.db_path.with_name(bob.db_path.name + suffix).unlink()
        if how == "replaced":                                # another program's file in its place
            foreign = sqlite3.connect(bob.db_path)
            foreign.execute("CREATE TABLE photos (name TEXT)")
            foreign.commit()
            foreign.close()
        qtbot.waitUntil(lambda: events.seen == [event], timeout=30_000)
        second = call(controller, "13912345678")
        assert controller.wait_saved(15)
        worker.sync_now()
        qtbot.waitUntil(lambda: wrapped_up_on_the_server(lead, second), timeout=30_000)
    finally:
        if worker is not None:
            worker.stop(30)                                  # its round ends: the acknowledgement is written
        controller.store_file_event.disconnect(events.add)
        controller.close(5)
    [new_path] = [bob.db_path] if how == "deleted" else [
        p for p in bob.home.iterdir() if p.name.startswith("calls.db.kept-") and p.suffix != ".json"
        and not p.name.endswith(("-wal", "-shm"))]
    new = open_db(new_path)
    try:                                                     # nothing left to send in the calls' file
        assert new.execute("SELECT count(*) FROM outbox WHERE version > acked_version").fetchone()[0] == 0
    finally:
        new.conn.close()

"""The store worker on its own: any failure is caught and retried, one bad record never holds back
the ones behind it, and what an earlier run left in the journal is saved at the next start."""

import json
import os
import stat
from datetime import timedelta

import pytest

from hangup_coach.app.journal import UnsavedJournal
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

NOW = FakeClock().now()


def record(n):
    return CallRecord(id=f"call-{n}", agent_id="1024", caller_number=None, caller_raw="", line_call_id=f"l{n}",
                      started_at=NOW + timedelta(seconds=n), updated_at=NOW, caller_class="regular")


@pytest.fixture
def worker(tmp_path):
    made = []

    def make(store=None):
        w = StoreWorker(store or CallStore(open_db(tmp_path / "calls.db")), UnsavedJournal.beside(tmp_path / "calls.db"))
        w.start()
        made.append(w)
        return w
    yield make
    for w in made:
        w.close()


@pytest.mark.parametrize("error", [UnicodeEncodeError("utf-8", "\ud83d", 0, 1, "surrogates not allowed"),
                                   ValueError("bad"), OverflowError("date value out of range"), KeyError("x")])
def test_one_bad_record_never_holds_back_the_records_behind_it(worker, tmp_path, error):
    store = CallStore(open_db(tmp_path / "calls.db"))
    w = worker(store)
    written = w.store              # the worker's own connection to the file
    real = written.save_call

    def refuse_call_1(rec):
        if rec.id == "call-1":
            raise error
        real(rec)
    written.save_call = refuse_call_1
    troubles = []
    w.trouble.connect(lambda kind, detail: troubles.append(kind), type=_direct())
    for n in range(4):
        w.save_call(record(n))
    assert not w.wait_saved(1.0)                     # call-1 is still pending, and says so
    assert [r.id for r in store.open_calls()] == ["call-0", "call-2", "call-3"]
    assert "record" in troubles
    journal = json.loads((tmp_path / "calls.db.unsaved.json").read_text())
    assert list(journal["calls"]) == ["call-1"]      # kept beside the database meanwhile
    written.save_call = real                         # whatever it was, it is retried
    assert w.wait_saved(5)
    assert [r.id for r in store.open_calls()] == ["call-0", "call-1", "call-2", "call-3"]
    assert not (tmp_path / "calls.db.unsaved.json").exists()


def test_an_os_error_stops_the_pass_and_is_retried(worker, tmp_path):
    store = CallStore(open_db(tmp_path / "calls.db"))
    w = worker(store)
    real, failures = w.store.save_note, []

    def disk_gone(*args):
        failures.append(1)
        if len(failures) < 3:
            raise OSError(5, "Input/output error")
        real(*args)
    w.store.save_note = disk_gone
    w.save_call(record(1))
    w.save_note("call-1", "text", NOW)
    assert w.wait_saved(10) and len(failures) == 3
    assert store.note("call-1") == "text"


def test_what_the_last_run_left_unsaved_is_saved_at_start(tmp_path):
    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    rec = record(7)
    rec.explanations = 2
    UnsavedJournal.beside(db).write({rec.id: rec.as_row()}, {rec.id: {"text": "kept 话费", "at": NOW.isoformat()}})
    assert stat.S_IMODE(os.stat(f"{db}.unsaved.json").st_mode) == 0o600
    w = StoreWorker(db)
    opened = []
    w.opened.connect(opened.append, type=_direct())
    w.start()
    try:
        assert w.wait_saved(10)
    finally:
        w.close()
    assert [r.id for r in opened[0].open_calls] == ["call-7"] and opened[0].notes["call-7"] == "kept 话费"
    store = CallStore(open_db(db))
    assert store.get_call("call-7").explanations == 2 and store.note("call-7") == "kept 话费"
    assert not os.path.exists(f"{db}.unsaved.json")


def test_a_damaged_journal_is_set_aside_not_deleted(tmp_path):
    journal = UnsavedJournal(tmp_path / "j.json")
    journal.path.write_text("{not json")
    assert journal.read() == ({}, {})
    assert (tmp_path / "j.json.damaged").read_text() == "{not json"


def _direct():
    from PySide6.QtCore import Qt
    return Qt.DirectConnection


def test_a_journal_that_cannot_be_replayed_is_set_aside_and_the_store_opens(tmp_path):
    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    UnsavedJournal.beside(db).write({"x": {"id": "x", "no": "such columns"}}, {})
    w = StoreWorker(db)
    opened = []
    w.opened.connect(opened.append, type=_direct())
    w.start()
    try:
        assert w.wait_saved(10)
    finally:
        w.close()
    assert opened and opened[0].open_calls == []
    assert os.path.exists(f"{db}.unsaved.json.damaged") and not os.path.exists(f"{db}.unsaved.json")


def test_changes_handed_over_before_the_file_opens_are_journaled_beside_the_last_runs(tmp_path):
    import sqlite3
    import time

    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    old = record(1)
    UnsavedJournal.beside(db).write({old.id: old.as_row()}, {old.id: {"text": "last run", "at": NOW.isoformat()}})
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("PRAGMA locking_mode = EXCLUSIVE")
    lock.execute("BEGIN EXCLUSIVE")                 # the file cannot even be opened
    w = StoreWorker(db)
    w.start()
    try:
        new = record(2)
        w.save_call(new)
        w.save_note(new.id, "typed before the file opened", NOW)
        journal = UnsavedJournal.beside(db)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(journal.read()[1]) < 2:
            time.sleep(0.05)
        calls, notes = journal.read()
        assert set(calls) == {old.id, new.id}
        assert {k: v["text"] for k, v in notes.items()} == {old.id: "last run", new.id: "typed before the file opened"}
        assert not w.wait_saved(0.5)                # still locked
        lock.execute("ROLLBACK")
        lock.close()
        assert w.wait_saved(15)
    finally:
        w.close()
    store = CallStore(open_db(db))
    assert store.note(old.id) == "last run" and store.note(new.id) == "typed before the file opened"
    assert not os.path.exists(f"{db}.unsaved.json")


def test_the_worker_connection_is_its_own_and_cannot_be_used_from_another_thread(tmp_path):
    # The bench read through the store the worker was writing with, from the GUI thread: a
    # segmentation fault inside SQLite. Now a handed-in store stays its owner's, for its owner's reads.
    import sqlite3
    handed = CallStore(open_db(tmp_path / "calls.db"))
    w = StoreWorker(handed)
    w.start()
    try:
        assert w.store.db.conn is not handed.db.conn
        with pytest.raises(sqlite3.ProgrammingError):
            w.store.db.execute("SELECT count(*) FROM calls")
        w.save_call(record(1))
        assert w.wait_saved(10)
        handed.db.conn.close()                        # the owner closes its own: the worker goes on
        w.save_call(record(2))
        assert w.wait_saved(10)
    finally:
        w.close()
    assert [r["id"] for r in open_db(tmp_path / "calls.db").query("SELECT id FROM calls ORDER BY id")] == \
        ["call-1", "call-2"]

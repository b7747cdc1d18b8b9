"""Never "nothing lost" unless it is: a disk too full for the journal too is said as "only in this
window", with a way to copy or save the notes elsewhere and no stray temporary file; a damaged
journal of the last run is kept aside and the agent is told what came back and what did not."""

import os
import sqlite3
import stat
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from hangup_coach.app.journal import UnsavedJournal
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.store.db import open_db
from hangup_coach.telephony.simulator import SimulatedLine

from .conftest import fill_disk


def fill_to_the_last_byte(folder):
    """fill_disk leaves up to 64 KiB: enough for a journal. Take the rest too."""
    last = folder / "last-bytes"
    with open(last, "wb", buffering=0) as f:
        for size in (4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return last


def test_a_disk_too_full_for_the_journal_says_only_in_this_window_and_the_notes_can_be_copied_or_saved(
        qtbot, open_desk, small_disk, tmp_path, monkeypatch):
    line = SimulatedLine()
    desk = open_desk(small_disk / "calls.db", line)
    card, controller = desk.card, desk.controller
    conn = sqlite3.connect(desk.db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    fillers = [fill_disk(small_disk), fill_to_the_last_byte(small_disk)]

    line.ring("c1", "13800138000")
    qtbot.mouseClick(card.buttons["answer"], Qt.LeftButton)
    note = "磁盘和日志都满时输入的通话记录 " * 200
    card.note.setPlainText(note)
    card.flush_note()
    qtbot.waitUntil(lambda: "memory" in desk.statuses, timeout=10_000)
    assert card.status.toolTip() == card.t["store_memory"] and card.status.property("problem")   # in red
    qtbot.waitUntil(lambda: card.note_state.text() == card.t["note_memory"], timeout=5000)
    assert not os.path.exists(f"{desk.db_path}.unsaved.json")              # it says so because it is so
    assert not [p.name for p in small_disk.iterdir() if p.name.endswith(".tmp")]   # no stray temporary file
    assert card.rescue.isVisible()

    qtbot.mouseClick(card.rescue.copy_button, Qt.LeftButton)
    assert note in QApplication.clipboard().text() and "138****8000" in QApplication.clipboard().text()
    elsewhere = tmp_path / "rescued.txt"                                     # another disk
    monkeypatch.setattr("hangup_coach.ui.unsaved_rescue.QFileDialog.getSaveFileName",
                        lambda *_a, **_k: (str(elsewhere), ""))
    qtbot.mouseClick(card.rescue.save_button, Qt.LeftButton)
    assert note in elsewhere.read_text(encoding="utf-8") and stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert str(elsewhere) in card.rescue.result.text()

    for filler in fillers:                                                   # space is freed
        filler.unlink()
    qtbot.mouseClick(card.buttons["closure"], Qt.LeftButton)                 # the next change retries
    assert controller.wait_saved(10)
    assert desk.rows()[0]["note"] == note
    qtbot.waitUntil(lambda: desk.statuses[-1] == "ok", timeout=5000)
    assert not card.rescue.isVisible()


def test_a_journal_that_fails_to_write_leaves_no_temporary_file(small_disk):
    fill_disk(small_disk)
    fill_to_the_last_byte(small_disk)
    journal = UnsavedJournal(small_disk / "calls.db.unsaved.json")
    try:
        journal.write({}, {"c1": {"text": "x" * 100_000, "at": "2026-12-01T08:00:00+00:00"}})
    except OSError:
        pass
    else:
        raise AssertionError("a full disk took the journal")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "last-bytes"]


NOW = FakeClock().now()


def test_a_damaged_journal_is_kept_aside_and_the_agent_told_what_came_back(qtbot, open_desk, tmp_path):
    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    good = CallRecord(id="call-1", agent_id="1024", caller_number="+8613800138000", caller_raw="13800138000",
                      line_call_id="l1", started_at=NOW - timedelta(minutes=5), updated_at=NOW,
                      caller_class="regular", ended_at=NOW - timedelta(minutes=1),
                      wrapped_up_at=NOW - timedelta(minutes=1), disposition="resolved")
    journal = UnsavedJournal.beside(db)
    journal.write({"call-1": good.as_row(), "call-2": {"id": "call-2", "no": "such columns"}},
                  {"call-1": {"text": "找回的记录", "at": NOW}, "call-3": {"text": "坏的", "at": "not a time"}})
    desk = open_desk(db)
    box = desk.card.journal_box
    assert box is not None and box.isVisible()                     # the agent is told, not only the log
    kept = tmp_path / "calls.db.unsaved.json.damaged"
    assert kept.exists() and "call-2" in kept.read_text(encoding="utf-8")   # kept for IT, never deleted
    assert str(kept) in box.text() and "1 call change(s) and 1 note(s)" in box.text() and "2 entry" in box.text()
    assert desk.controller.wait_saved(10)
    assert [(r["id"], r["note"]) for r in desk.rows()] == [("call-1", "找回的记录")]   # what could be read is back


def test_an_unreadable_journal_is_kept_aside_and_the_agent_told_nothing_came_back(qtbot, open_desk, tmp_path):
    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    (tmp_path / "calls.db.unsaved.json").write_bytes(b'{"version": 1, "calls": {"call-1": {"id": \xff')
    (tmp_path / "calls.db.unsaved.json.damaged").write_text("an older damaged journal")
    desk = open_desk(db)
    box = desk.card.journal_box
    assert box is not None and desk.card.t["journal_lost_all"] in box.text()
    assert (tmp_path / "calls.db.unsaved.json.damaged").read_text() == "an older damaged journal"   # not replaced
    assert (tmp_path / "calls.db.unsaved.json.damaged-2").read_bytes().startswith(b'{"version": 1')


def test_before_the_database_opens_an_unwritable_journal_is_said_only_in_this_window(qtbot, tmp_path, monkeypatch):
    """A slow disk keeps the database from opening for a while after start-up; a call and its note
    meanwhile go to the journal, which cannot be written either: the card says "only in this window"
    (it said nothing), offers the rescue, and saves everything once the file opens."""
    import dataclasses
    import threading

    from hangup_coach.app import store_worker
    from hangup_coach.app.controller import Controller, Fill
    from hangup_coach.app.qt_clock import QtScheduler, SystemClock
    from hangup_coach.app.resources import load_policy, load_scripts, load_texts
    from hangup_coach.ui.card import CoachCard

    db = tmp_path / "calls.db"
    (tmp_path / "calls.db.unsaved.json.tmp").mkdir()   # the journal cannot be written (here: its temporary
    disk_ready = threading.Event()                     # file's name is taken; in life a full disk)
    real_open = store_worker.open_db

    def slow_open(*args, **kwargs):                    # checking the file takes long (a slow disk)
        assert disk_ready.wait(30)
        return real_open(*args, **kwargs)
    monkeypatch.setattr(store_worker, "open_db", slow_open)
    controller = Controller(None, dataclasses.replace(load_policy(), grace_seconds=0.2), load_scripts("en"),
                            SystemClock(), QtScheduler(), Fill("1024"))
    card = CoachCard(controller, load_texts("en"))
    qtbot.addWidget(card)
    card.show()
    statuses = []

    def record(kind, _detail):
        statuses.append(kind)
    controller.store_status.connect(record)
    try:
        controller.attach_worker(store_worker.StoreWorker(db))
        session = controller.start_manual_call("13800138000")
        card.note.setPlainText("还没打开数据库时写的记录")
        card.flush_note()
        qtbot.waitUntil(lambda: card.status.toolTip() == card.t["store_memory"], timeout=10_000)
        assert card.status.property("problem") and card.rescue.isVisible()
        qtbot.waitUntil(lambda: card.note_state.text() == card.t["note_memory"], timeout=5000)
        assert not controller.worker.wait_saved(0)

        with qtbot.waitSignal(controller.store_ready, timeout=30_000):
            disk_ready.set()
        assert controller.worker.wait_saved(30)
        qtbot.waitUntil(lambda: statuses[-1] == "ok", timeout=5000)
        assert not card.rescue.isVisible()
    finally:
        disk_ready.set()
        controller.store_status.disconnect(record)
        controller.close(5)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT n.text FROM calls c JOIN notes n ON n.call_id = c.id WHERE c.id = ?",
                            (session.record.id,)).fetchall() == [("还没打开数据库时写的记录",)]
    finally:
        conn.close()

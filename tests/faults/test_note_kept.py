"""A note the store has not confirmed stays on the card after the wrap-up, marked not saved, until
the store confirms it; and what is typed before the store has opened its file survives kill -9."""

import json
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import Qt

from hangup_coach.core.card_view import note_preview
from hangup_coach.telephony.simulator import SimulatedLine

from .test_locked_database import HOLD_S, hold_lock, type_slowly


def test_an_unsaved_note_stays_on_the_card_after_the_wrap_up_until_it_is_saved(qtbot, open_desk, tmp_path):
    line = SimulatedLine()
    desk = open_desk(tmp_path / "calls.db", line)
    card, controller = desk.card, desk.controller
    note = "客户要求回电，工单号20261201，宽带断线三次"
    locker = hold_lock(desk.db_path)
    try:
        line.ring("c1", "13800138000")
        qtbot.mouseClick(card.buttons["answer"], Qt.LeftButton)
        type_slowly(qtbot, card, note, every_ms=20)
        qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
        qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)   # wrap-up while the file is locked
        assert card.idle.isVisible() and card.note.toPlainText() == ""
        [row] = [r for r in card.call_list.kept_rows if r.isVisible()]
        assert card.call_list.isVisible() and row.isVisible()
        assert card.t["note_kept"] in row.text() and note_preview(note) in row.text()
        assert "138****8000" in row.text() and "13800138000" not in row.text()
        assert card.status.text() in (card.t["store_busy"], card.t["store_io"])   # nothing lost, in words
        assert locker.poll() is None                             # all of that under the lock
        assert desk.rows() == [] or desk.rows()[0]["note"] is None
        qtbot.waitUntil(lambda: locker.poll() is not None, timeout=(HOLD_S + 5) * 1000)
    finally:
        locker.kill()
        locker.wait()
    assert controller.wait_saved(10)
    qtbot.waitUntil(lambda: not any(r.isVisible() for r in card.call_list.kept_rows), timeout=5000)
    assert not card.call_list.isVisible()
    [saved] = desk.rows()
    assert saved["note"] == note and saved["wrapped_up_at"]


# Holds the file so that the app cannot even open it (exclusive locking mode: readers are shut out
# too), as a backup tool or a stuck process on a shared folder does.
EXCLUSIVE_LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_call_and_note_made_before_the_store_opens_survive_kill_9(tmp_path):
    """The real app on a real X display, its database locked from the start: the agent starts a
    manual call and types a note, the app is killed before it could open the file; the next start,
    with the lock gone, stores both."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "desktop"))
    from desktop_session import App, Desktop, wait_for

    desktop = Desktop(tmp_path)
    locker = None
    try:
        env = dict(desktop.env, QT_QPA_PLATFORM="offscreen")
        db = tmp_path / "calls.db"
        journal = Path(f"{db}.unsaved.json")
        assert subprocess.run([sys.executable, "-m", "hangup_coach", "--smoke", "--db", str(db)], env=env,
                              capture_output=True, timeout=120).returncode == 0
        locker = subprocess.Popen([sys.executable, "-c", EXCLUSIVE_LOCKER, str(db), "300"],
                                  stdout=subprocess.PIPE, text=True)
        assert locker.stdout.readline().strip() == "locked"
        app = App(desktop, ["--lang", "en"])
        app.click("number_input")
        wait_for(lambda: app.state()["active"], what="the card to take the keyboard")
        desktop.xdotool("type", "--delay", "20", "13800138000")
        desktop.xdotool("key", "Return")
        note = "call back tomorrow, ticket 20261201"
        app.click("note")
        wait_for(lambda: app.state()["active"], what="the note to take the keyboard")
        desktop.xdotool("type", "--delay", "20", note)

        def journaled():
            try:
                kept = json.loads(journal.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return kept if [n["text"] for n in kept["notes"].values()] == [note] else None
        kept = wait_for(journaled, timeout=30, what="the note in the journal")
        assert len(kept["calls"]) == 1 and locker.poll() is None   # the file stayed locked all along
        app.proc.send_signal(signal.SIGKILL)
        app.proc.wait(10)
    finally:
        if locker is not None:
            locker.kill()
            locker.wait()
        desktop.stop()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (0,)   # it never reached the file
    finally:
        conn.close()

    restart = subprocess.run([sys.executable, "-m", "hangup_coach", "--smoke", "--db", str(db)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert restart.returncode == 0, restart.stderr
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT c.caller_number, c.answered_at, n.text FROM calls c"
                            " JOIN notes n ON n.call_id = c.id").fetchall()
    finally:
        conn.close()
    [(number, answered_at, text)] = rows
    assert number.endswith("13800138000") and answered_at and text == note
    assert not journal.exists()


def test_the_last_runs_unsaved_note_of_a_wrapped_up_call_is_shown_until_it_is_saved(qtbot, open_desk, tmp_path):
    from datetime import timedelta

    from hangup_coach.app.journal import UnsavedJournal
    from hangup_coach.core.coach import CallRecord
    from hangup_coach.store.db import open_db

    db = tmp_path / "calls.db"
    open_db(db).conn.close()
    now = datetime.now(timezone.utc)
    done = CallRecord(id="call-1", agent_id="1024", caller_number="+8613800138000", caller_raw="13800138000",
                      line_call_id="", started_at=now - timedelta(minutes=5), updated_at=now,
                      caller_class="regular", answered_at=now - timedelta(minutes=5), ended_at=now,
                      wrapped_up_at=now, ended_by="customer", disposition="resolved")
    UnsavedJournal.beside(db).write({done.id: done.as_row()}, {done.id: {"text": "上次未保存的记录", "at": now.isoformat()}})
    locker = hold_lock(db)
    try:
        desk = open_desk(db)
        card = desk.card
        qtbot.waitUntil(lambda: any(r.isVisible() for r in card.call_list.kept_rows), timeout=5000)
        [row] = [r for r in card.call_list.kept_rows if r.isVisible()]
        assert "上次未保存的记录" in row.text() and "138****8000" in row.text()
        assert locker.poll() is None
    finally:
        locker.kill()
        locker.wait()
    assert desk.controller.wait_saved(15)
    qtbot.waitUntil(lambda: not card.call_list.isVisible(), timeout=5000)
    assert desk.rows()[0]["note"] == "上次未保存的记录"

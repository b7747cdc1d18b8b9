"""A full disk (a real 8 MiB tmpfs filled to the last byte) while the agent works a call: the card
says so in words, keeps everything, and saves it all once space is freed."""

import sqlite3

from PySide6.QtCore import Qt

from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.telephony.simulator import SimulatedLine

from .conftest import fill_disk


def test_a_full_disk_is_said_on_the_card_and_nothing_is_lost(qtbot, open_desk, small_disk):
    line = SimulatedLine()
    desk = open_desk(small_disk / "calls.db", line)
    card, controller = desk.card, desk.controller
    conn = sqlite3.connect(desk.db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")    # the WAL has no room left over: a write needs new blocks
    conn.close()
    filler = fill_disk(small_disk)

    line.ring("c1", "13800138000")
    qtbot.mouseClick(card.buttons["answer"], Qt.LeftButton)
    card.reclassify(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)   # explanations count on such a call
    qtbot.mouseClick(card.buttons["explain"], Qt.LeftButton)
    note = "磁盘满时输入的通话记录 " * 300
    card.note.setPlainText(note)
    card.flush_note()
    qtbot.waitUntil(lambda: bool({"disk_full", "io", "memory"} & set(desk.statuses)), timeout=5000)
    # What the card says must be true: the journal beside the database took the note (the space
    # fill_disk leaves, < 64 KiB, may hold it) or it is in this window only (test_journal_edges.py).
    journal = desk.db_path.with_name("calls.db.unsaved.json")
    qtbot.waitUntil(lambda: card.note_state.text() in (card.t["note_unsaved"], card.t["note_memory"]), timeout=5000)
    kind = desk.statuses[-1]
    if kind == "memory":
        assert not journal.exists() and card.note_state.text() == card.t["note_memory"]
    else:
        assert kind in ("disk_full", "io") and journal.exists() and card.note_state.text() == card.t["note_unsaved"]
    assert card.status.toolTip() == card.t[f"store_{kind}"]
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)
    assert not controller.wait_saved(0.5)               # not pretending

    filler.unlink()                                     # space is freed
    assert controller.wait_saved(10)
    [row] = desk.rows()
    assert (row["explanations"], row["ended_by"], row["disposition"]) == (1, "agent", "explained")   # the wrap-up suggests it for an explained call
    assert row["note"] == note
    qtbot.waitUntil(lambda: desk.statuses[-1] == "ok", timeout=3000)
    conn = sqlite3.connect(desk.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

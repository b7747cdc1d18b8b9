"""A note the store has not confirmed stays on the card after the wrap-up, marked not saved, until
the store confirms it; and what is typed before the store has opened its file survives kill -9."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
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

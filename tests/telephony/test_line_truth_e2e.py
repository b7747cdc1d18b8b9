"""End to end, as a telephony tester reproduces it: restarts of either side, overlapping calls, the
agent's correction. Real baresip and sipp; the card and its SQLite file are the app's own."""

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt

from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import NOT_ON_LINE
from desk_helpers import close_desk, list_row, row_of, stored_note, wait_session, wait_sipp

pytestmark = pytest.mark.e2e

A, B = "13800138001", "13800138002"


# ----- item 1: the card restarts mid-call ----------------------------------------------------------


def test_card_restarted_mid_call_ends_the_call_on_the_line(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    first = open_desk(baresip.url)
    sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])
    wait_session(qtbot, first, A, Phase.TALKING)
    close_desk(first)                                    # the card is gone, the customer is still there

    again = open_desk(baresip.url)                       # same database file, fresh controller and adapter
    resumed = wait_session(qtbot, again, A, Phase.TALKING)
    assert again.controller.current is resumed
    qtbot.waitUntil(lambda: resumed.record.line_call_id in again.softphone._tracker.open_ids, timeout=3000)
    qtbot.mouseClick(again.card.buttons["hang_up"], Qt.LeftButton)     # F9
    wait_sipp(qtbot, sipp)                                             # it succeeds only on receiving BYE
    assert sipp.received("BYE") == [sipp.sent("INVITE")[0][1]]
    qtbot.waitUntil(lambda: row_of(again, A)["ended_at"] is not None, timeout=3000)
    row = row_of(again, A)
    assert (row["ended_by"], row["close_reason"]) == ("agent", "Connection reset by user")
    assert len(again.rows()) == 1 and again.failures == []


def test_card_killed_while_the_customer_hangs_up_closes_the_call_on_restart(start_baresip, start_sipp, tmp_path):
    """kill -9 of the real app; the customer hangs up while it is down; the restarted app closes the call."""
    baresip = start_baresip("auto")
    db = tmp_path / "app.db"
    app = _start_app(baresip, db, tmp_path)
    try:
        _wait(lambda: _has_ctrl_client(baresip))
        sipp = start_sipp(baresip, "customer_hangs_up.xml", [A], pause_ms=2500)
        _wait(lambda: [r["answered_at"] is not None for r in _read(db, "SELECT answered_at FROM calls")] == [True])
    finally:
        app.kill()                                       # SIGKILL: no clean-up of any kind
        app.wait(10)
    sipp.proc.wait(20)                                   # the customer hangs up while the card is down
    assert sipp.returncode == 0, sipp.report()
    assert _read(db, "SELECT ended_at FROM calls") == [{"ended_at": None}]   # the card missed the end

    app = _start_app(baresip, db, tmp_path)
    try:
        _wait(lambda: _read(db, "SELECT ended_at FROM calls")[0]["ended_at"] is not None)
    finally:
        app.kill()
        app.wait(10)
    [row] = _read(db, "SELECT ended_by, close_reason, wrapped_up_at FROM calls")
    assert row == {"ended_by": "unknown", "close_reason": NOT_ON_LINE, "wrapped_up_at": None}   # for the wrap-up


# ----- item 2: baresip restarts with a call ringing --------------------------------------------------


def test_a_call_ringing_while_the_card_reconnects_is_shown_recorded_and_answerable(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    baresip.kill()
    qtbot.waitUntil(lambda: desk.softphone.state == "offline", timeout=3000)
    baresip.start()
    sipp = start_sipp(baresip, "customer_hangs_up.xml", [A], pause_ms=300)   # an INVITE at once
    ringing = wait_session(qtbot, desk, A, Phase.RINGING)
    assert desk.controller.current is ringing and desk.card.buttons["answer"].isVisible()
    assert ringing.record.line_call_id == sipp.sent("INVITE")[0][1]
    assert row_of(desk, A)["caller_number"] == "+86" + A and row_of(desk, A)["caller_class"] == "regular"

    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)   # the resumed ringing call can be answered
    wait_sipp(qtbot, sipp)
    qtbot.waitUntil(lambda: row_of(desk, A)["ended_at"] is not None, timeout=3000)
    assert row_of(desk, A)["answered_at"] is not None and row_of(desk, A)["ended_by"] == "customer"


# ----- items 3 and 4: more than one call ---------------------------------------------------------------


def test_second_call_auto_answered_takes_the_keys_and_the_note_stays_with_the_first(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    first_sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])
    first = wait_session(qtbot, desk, A, Phase.TALKING)
    qtbot.keyClicks(desk.card.note, "customer A asks about card fee")
    second_sipp = start_sipp(baresip, "agent_hangs_up.xml", [B])
    second = wait_session(qtbot, desk, B, Phase.TALKING)             # baresip answered it by itself
    qtbot.waitUntil(lambda: desk.controller.current is second, timeout=3000)   # two connected: the one answered last
    assert desk.card.switch_note.isVisible() and "138****8002" in desk.card.switch_note.text()
    qtbot.keyClicks(desk.card.note, "B: new address")
    desk.card.flush_note()

    assert desk.controller.wait_saved()
    assert stored_note(desk, first) == "customer A asks about card fee"   # typed for A, kept with A
    assert stored_note(desk, second) == "B: new address"
    assert list_row(desk, first).property("state") == "talking"
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, second_sipp)
    assert first_sipp.received("BYE") == []                            # Hang up ended B, not A
    wait_session(qtbot, desk, B, Phase.ENDED)
    qtbot.mouseClick(desk.card.buttons["done"], Qt.LeftButton)         # B wrapped up: A comes back
    assert desk.controller.current is first
    qtbot.keyClicks(desk.card.note, " and refund")                    # the cursor is at the end of A's note
    assert desk.card.note.toPlainText() == "customer A asks about card fee and refund"
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, first_sipp)
    assert desk.failures == []


def test_second_call_in_manual_mode_is_answered_from_the_list_and_holds_the_first(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    first_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [A])
    wait_session(qtbot, desk, A, Phase.RINGING)
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)
    first = wait_session(qtbot, desk, A, Phase.TALKING)
    qtbot.keyClicks(desk.card.note, "A: card fee an")
    second_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [B])
    second = wait_session(qtbot, desk, B, Phase.RINGING)
    assert list_row(desk, second).property("state") == "ringing"     # visible at once, A stays in focus
    qtbot.keyClicks(desk.card.note, "d refund")

    qtbot.mouseClick(list_row(desk, second), Qt.LeftButton)          # switch to the ringing call...
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)     # ...and answer it
    wait_session(qtbot, desk, B, Phase.TALKING)
    qtbot.waitUntil(lambda: first.held, timeout=3000)
    assert list_row(desk, first).property("state") == "held"
    qtbot.waitUntil(lambda: first_sipp.received("INVITE") == [first.record.line_call_id], timeout=3000)  # re-INVITE
    qtbot.keyClicks(desk.card.note, "B: address change")
    desk.card.flush_note()
    assert desk.controller.wait_saved()
    assert stored_note(desk, first) == "A: card fee and refund"
    assert stored_note(desk, second) == "B: address change"

    qtbot.mouseClick(list_row(desk, first), Qt.LeftButton)           # back to A: taken off hold, B held
    qtbot.waitUntil(lambda: not first.held and second.held, timeout=3000)
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, first_sipp)
    assert second_sipp.received("BYE") == []
    qtbot.mouseClick(list_row(desk, second), Qt.LeftButton)
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, second_sipp)
    assert desk.failures == []


def test_two_calls_ringing_in_manual_mode_answer_picks_up_the_one_in_focus(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    first_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [A])
    first = wait_session(qtbot, desk, A, Phase.RINGING)
    second_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [B])
    second = wait_session(qtbot, desk, B, Phase.RINGING)
    assert desk.controller.current is first
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)     # baresip 1.0's current call is B
    wait_session(qtbot, desk, A, Phase.TALKING)
    assert second.phase is Phase.RINGING and desk.controller.current is first
    desk.card.press("answer")                                         # the Answer key: the call still ringing
    wait_session(qtbot, desk, B, Phase.TALKING)
    assert desk.controller.current is second
    for sipp in (first_sipp, second_sipp):
        sipp.kill()


# ----- item 5: the agent's correction sticks ------------------------------------------------------------


def test_a_reclassification_sticks_to_the_next_real_call(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)

    def call(expected_class):
        sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])
        session = wait_session(qtbot, desk, A, Phase.TALKING)
        assert session.caller_class is expected_class
        return sipp, session

    def end(sipp, session):
        qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
        wait_sipp(qtbot, sipp)
        qtbot.waitUntil(lambda: session.phase is Phase.ENDED, timeout=3000)
        session.wrap_up("other")

    sipp, session = call(CallerClass.REGULAR)
    desk.card.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE)      # the agent's judgement...
    end(sipp, session)
    sipp, session = call(CallerClass.NO_VALUE)                       # ...is followed on the next call
    desk.card.reclassify(CallerClass.REGULAR, SubReason.NONE)        # and corrected
    end(sipp, session)
    for _ in range(2):
        sipp, session = call(CallerClass.REGULAR)                    # the correction stands
        assert session.record.class_reason_key == "agent_corrected"
        end(sipp, session)
    assert [r["class_source"] for r in desk.rows()] == ["agent", "agent", "auto", "auto"]


# ----- helpers for the real app process -----------------------------------------------------------------


def _start_app(baresip, db, tmp_path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "hangup_coach", "--softphone", baresip.url, "--db", str(db)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _has_ctrl_client(baresip) -> bool:
    """Whether a client holds baresip's ctrl_tcp port, read from /proc (connecting would steal it)."""
    local = f"0100007F:{baresip.ctrl_port:04X}"
    return any(line.split()[1] == local and line.split()[3] == "01"   # 01 = ESTABLISHED
               for line in open("/proc/net/tcp").read().splitlines()[1:])


def _wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (IndexError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _read(db, sql):
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    except sqlite3.OperationalError:   # the app has not created its tables yet
        return []
    finally:
        conn.close()

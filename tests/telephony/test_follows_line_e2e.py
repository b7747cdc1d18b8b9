"""Issue 20 with real baresip and sipp: a restart during call waiting (item 2), a frozen softphone
(item 6), times from the line after downtime and the 2-second wait across a restart (item 7)."""

import os
import signal
import time

import pytest
from PySide6.QtCore import Qt

from hangup_coach.core.coach import Phase
from desk_helpers import close_desk, list_row, row_of, session_of, wait_session, wait_sipp

pytestmark = pytest.mark.e2e

A, B = "13800138001", "13800138002"


def test_after_a_restart_during_call_waiting_hang_up_ends_the_call_being_talked_to(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    first_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [A])
    wait_session(qtbot, desk, A, Phase.RINGING)
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)
    first = wait_session(qtbot, desk, A, Phase.TALKING)
    second_sipp = start_sipp(baresip, "customer_waits_on_hold.xml", [B])
    second = wait_session(qtbot, desk, B, Phase.RINGING)
    qtbot.mouseClick(list_row(desk, second), Qt.LeftButton)
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)
    wait_session(qtbot, desk, B, Phase.TALKING)
    qtbot.waitUntil(lambda: first.held, timeout=3000)                  # B talking, A held on the line
    close_desk(desk)

    again = open_desk(baresip.url)                                     # same database, a fresh card
    talking = wait_session(qtbot, again, B, Phase.TALKING)
    qtbot.waitUntil(lambda: session_of(again, A) is not None and session_of(again, A).held, timeout=5000)
    assert again.controller.current is talking                         # the held call does not take the keys
    assert list_row(again, session_of(again, A)).property("state") == "held"
    qtbot.mouseClick(again.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, second_sipp)                                      # BYE to B, the one talking...
    assert first_sipp.received("BYE") == []                            # ...not to A, on hold
    first_sipp.kill()
    assert again.failures == []


def test_a_frozen_softphone_is_shown_not_answering_and_the_error_clears_when_it_answers(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])
    wait_session(qtbot, desk, A, Phase.TALKING)
    os.kill(baresip.proc.pid, signal.SIGSTOP)                          # baresip hangs; its socket stays open
    try:
        qtbot.waitUntil(lambda: desk.softphone.state == "not_answering", timeout=10_000)
        assert desk.card.status.text() == desk.card.t["softphone_not_answering"]
        qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(desk.failures), timeout=5000)
        assert desk.failures[0][0] == "hangup" and "no reply" in desk.failures[0][1]
        assert desk.card.status.text().startswith("hangup:")
    finally:
        os.kill(baresip.proc.pid, signal.SIGCONT)
    qtbot.waitUntil(lambda: desk.softphone.state == "online", timeout=10_000)
    assert desk.card.status.text() == desk.card.t["softphone_online"]  # the stale error went with the freeze
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)     # and Hang up works again
    wait_sipp(qtbot, sipp)
    qtbot.waitUntil(lambda: row_of(desk, A)["ended_by"] == "agent", timeout=3000)


def test_a_call_answered_while_the_card_was_down_takes_its_answer_time_from_the_line(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    close_desk(open_desk(baresip.url))                                 # the card is down
    sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])              # baresip answers by itself
    qtbot.waitUntil(lambda: bool(sipp.sent("ACK")), timeout=10_000)
    answered = sipp.sent("ACK")[0][0]
    qtbot.waitUntil(lambda: time.time() - answered > 4, timeout=10_000)   # talking 4 s before the card is back
    again = open_desk(baresip.url)
    session = wait_session(qtbot, again, A, Phase.TALKING)
    assert abs(session.record.answered_at.timestamp() - answered) < 1.5  # listcalls counts whole seconds
    row = row_of(again, A)
    assert row["times_reconstructed"] == 1 and row["started_at"] <= row["answered_at"]
    qtbot.mouseClick(again.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, sipp)


def test_a_restart_inside_the_two_second_wait_keeps_the_confirmation_time(
        qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "agent_hangs_up.xml", [A])
    wait_session(qtbot, desk, A, Phase.TALKING)
    qtbot.mouseClick(desk.card.buttons["closure"], Qt.LeftButton)     # "needs nothing else": the wait starts
    qtbot.waitUntil(lambda: row_of(desk, A)["closure_confirmed_at"] is not None, timeout=3000)
    close_desk(desk)
    again = open_desk(baresip.url)
    session = wait_session(qtbot, again, A, Phase.HANGUP_ALLOWED, timeout=5000)
    rec = session.record
    assert (rec.hangup_allowed_at - rec.closure_confirmed_at).total_seconds() == pytest.approx(2.0, abs=0.25)   # not 2 + the restart
    qtbot.mouseClick(again.card.buttons["hang_up"], Qt.LeftButton)
    wait_sipp(qtbot, sipp)
    assert row_of(again, A)["agent_ended_early"] == 0

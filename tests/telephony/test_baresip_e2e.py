"""End to end: real baresip (ctrl_tcp) and real sipp customers → adapter → coach → card → SQLite."""

import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt

from hangup_coach.core.coach import Phase
from hangup_coach.core.events import NOT_ON_LINE
from desk_helpers import wait_sipp

pytestmark = pytest.mark.e2e

NUMBER = "13800138000"


def wait_phase(qtbot, desk, phase, timeout=5000):
    qtbot.waitUntil(lambda: desk.controller.current is not None and desk.controller.current.phase is phase,
                    timeout=timeout)


def test_customer_hangs_up_after_answer(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "customer_hangs_up.xml", [NUMBER], pause_ms=300)
    wait_sipp(qtbot, sipp)
    wait_phase(qtbot, desk, Phase.ENDED)

    [row] = desk.rows()
    assert row["ended_by"] == "customer"
    assert row["close_reason"] == "Connection reset by peer"
    assert row["answered_at"] is not None and row["answered_at"] < row["ended_at"]
    assert row["line_call_id"] == sipp.sent("INVITE")[0][1]   # the SIP Call-ID is the correlation key
    assert row["agent_ended_early"] == 0


def test_agent_hangs_up_on_the_card_after_the_grace_prompt(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "agent_hangs_up.xml", [NUMBER])
    wait_phase(qtbot, desk, Phase.TALKING)

    desk.controller.current.confirm_closure()   # the customer needs nothing else: the 2-second wait
    wait_phase(qtbot, desk, Phase.HANGUP_ALLOWED, timeout=4000)
    assert desk.card.line.isVisible()           # the closing line is on the card
    hang_up = desk.card.buttons["hang_up"]
    assert hang_up.isVisible() and hang_up.text() == "✓ " + desk.card.t["hang_up"]   # allowed now
    assert hang_up.property("allowed") is True
    qtbot.mouseClick(hang_up, Qt.LeftButton)

    wait_sipp(qtbot, sipp)                      # the scenario only succeeds once it has received BYE
    assert sipp.received("BYE") == [sipp.sent("INVITE")[0][1]]
    wait_phase(qtbot, desk, Phase.ENDED)
    [row] = desk.rows()
    assert row["ended_by"] == "agent"
    assert row["close_reason"] == "Connection reset by user"
    assert row["hangup_prompted_at"] is not None and row["hangup_prompted_at"] < row["ended_at"]
    assert row["agent_ended_early"] == 0
    assert desk.failures == []


def test_customer_cancels_while_ringing_is_a_missed_call(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "customer_cancels.xml", [NUMBER], pause_ms=800)
    wait_phase(qtbot, desk, Phase.RINGING)
    assert desk.card.buttons["answer"].isVisible()
    wait_sipp(qtbot, sipp)
    wait_phase(qtbot, desk, Phase.ENDED)

    [row] = desk.rows()
    assert row["answered_at"] is None
    assert row["disposition"] == "missed"
    assert row["ended_by"] == "customer"
    assert row["close_reason"] == "Connection reset by peer"


def test_agent_answers_on_the_card_in_manual_mode(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("manual")
    desk = open_desk(baresip.url)
    sipp = start_sipp(baresip, "customer_hangs_up.xml", [NUMBER], pause_ms=300)
    wait_phase(qtbot, desk, Phase.RINGING)
    qtbot.mouseClick(desk.card.buttons["answer"], Qt.LeftButton)   # → ctrl_tcp `accept`
    wait_sipp(qtbot, sipp)
    wait_phase(qtbot, desk, Phase.ENDED)

    [row] = desk.rows()
    assert row["answered_at"] is not None
    assert row["ended_by"] == "customer"
    assert desk.failures == []


def test_caller_number_reaches_the_card_masked_with_its_class(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    seen = []   # what the card showed on each change (the card renders before this slot runs)

    def shown(session):
        if session is desk.controller.current:
            seen.append((session.record.line_call_id, desk.card.number.text(), desk.card.badge.text()))
        else:       # a call ringing during the first one's wrap-up: a row of the list of other calls
            [row] = [r for r in desk.card.call_list.rows if r.property("record_id") == session.record.id]
            number, badge, _state = row.text().split(" · ")   # the state is an icon beside the text
            seen.append((session.record.line_call_id, number, f"{badge}"))
    desk.controller.call_changed.connect(shown)
    sipp = start_sipp(baresip, "customer_hangs_up.xml", [NUMBER, "anonymous"], calls=2, pause_ms=200)
    wait_sipp(qtbot, sipp)
    qtbot.waitUntil(lambda: len(desk.rows("SELECT * FROM calls WHERE ended_at IS NOT NULL")) == 2, timeout=5000)

    known, withheld = desk.rows()
    assert known["caller_number"] == "+86" + NUMBER and known["caller_class"] == "regular"
    assert withheld["caller_number"] is None and withheld["caller_class"] == "unknown"
    labels = desk.controller.scripts
    first = [(num, badge) for cid, num, badge in seen if cid == known["line_call_id"]]
    assert first[0] == ("138****8000", f"● {labels.label('classes', 'regular')}")   # from the first event on
    assert NUMBER not in "".join(num for _cid, num, _b in seen)                     # never shown in full
    second = [(num, badge) for cid, num, badge in seen if cid == withheld["line_call_id"]]
    assert second[0] == ("—", labels.label('classes', 'unknown'))


def test_fifty_calls_in_a_row_each_recorded_once_with_who_hung_up(qtbot, start_baresip, start_sipp, open_desk):
    """Even-numbered callers wait for the agent's BYE, odd ones hang up themselves (the scenario branches)."""
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    numbers = [f"139{i:08d}" for i in range(50)]

    def agent_ends_even_calls(session):
        if session.phase is Phase.TALKING and int(session.record.caller_raw) % 2 == 0:
            assert desk.controller.current is session
            desk.controller.hang_up()
        elif session.phase is Phase.ENDED:
            session.wrap_up("resolved")      # the next call takes the focus
    desk.controller.call_changed.connect(agent_ends_even_calls)

    callers = [(n, "agent" if i % 2 == 0 else "customer") for i, n in enumerate(numbers)]
    sipp = start_sipp(baresip, "mixed_hangups.xml", callers, calls=50, pause_ms=100, rate=25)
    wait_sipp(qtbot, sipp, timeout=60_000)
    qtbot.waitUntil(lambda: len(desk.rows("SELECT * FROM calls WHERE ended_at IS NOT NULL")) == 50, timeout=5000)

    rows = desk.rows()
    assert len(rows) == 50
    assert sorted(r["caller_raw"] for r in rows) == numbers                 # each call exactly once
    assert len({r["line_call_id"] for r in rows}) == 50
    for r in rows:
        expected = "agent" if int(r["caller_raw"]) % 2 == 0 else "customer"
        assert (r["caller_raw"], r["ended_by"]) == (r["caller_raw"], expected)
        assert r["answered_at"] is not None
    assert len(sipp.received("BYE")) == 25
    assert desk.failures == []


def test_baresip_killed_and_restarted_goes_offline_then_reconnects(qtbot, start_baresip, start_sipp, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)

    # A call in progress when baresip dies is ended as lost, once the card is back.
    hanging = start_sipp(baresip, "agent_hangs_up.xml", ["13800138001"])
    wait_phase(qtbot, desk, Phase.TALKING)
    baresip.kill()
    qtbot.waitUntil(lambda: desk.softphone.state == "offline", timeout=3000)
    hanging.kill()
    assert desk.card.status.text() == desk.card.t["softphone_offline"]
    assert desk.controller.current.phase is Phase.TALKING     # not ended just because the link dropped

    baresip.start()
    qtbot.waitUntil(lambda: desk.softphone.state == "online", timeout=8000)   # by itself, with backoff
    wait_phase(qtbot, desk, Phase.ENDED)
    [lost] = desk.rows()
    assert (lost["ended_by"], lost["close_reason"]) == ("unknown", NOT_ON_LINE)

    sipp = start_sipp(baresip, "customer_hangs_up.xml", [NUMBER], pause_ms=200)
    wait_sipp(qtbot, sipp)
    qtbot.waitUntil(lambda: len(desk.rows()) == 2 and desk.rows()[1]["ended_at"] is not None, timeout=5000)
    assert desk.rows()[1]["ended_by"] == "customer"
    assert [s for s, _d in desk.statuses][-2:] == ["offline", "online"]


def test_a_second_ctrl_tcp_client_is_noticed_and_the_card_takes_the_line_back(qtbot, start_baresip, open_desk):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    intruder = socket.create_connection(("127.0.0.1", baresip.ctrl_port))
    try:
        qtbot.waitUntil(lambda: desk.softphone.state == "offline", timeout=3000)
        detail = desk.statuses[-1][1]
        assert "another program connected to ctrl_tcp" in detail
        qtbot.waitUntil(lambda: desk.softphone.state == "online", timeout=3000)
        intruder.settimeout(3)
        assert intruder.recv(100) == b""      # baresip dropped the intruder for the card
    finally:
        intruder.close()


def test_the_app_started_with_softphone_baresip_records_the_call(start_baresip, start_sipp, tmp_path):
    """`hangup-coach --softphone baresip://…` as an agent starts it: a real process, no test wiring."""
    baresip = start_baresip("auto")
    db = tmp_path / "app.db"
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    app = subprocess.Popen([sys.executable, "-m", "hangup_coach", "--softphone", baresip.url, "--db", str(db)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not _has_ctrl_client(baresip) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _has_ctrl_client(baresip), "the app never connected to baresip's ctrl_tcp"
        sipp = start_sipp(baresip, "customer_hangs_up.xml", [NUMBER], pause_ms=200)
        sipp.proc.wait(20)
        assert sipp.returncode == 0, sipp.report()
        rows = []
        while time.monotonic() < deadline and not (rows and rows[0]["ended_at"]):
            time.sleep(0.05)
            rows = _read(db, "SELECT caller_number, ended_by, ended_at FROM calls")
        assert [(r["caller_number"], r["ended_by"]) for r in rows] == [("+86" + NUMBER, "customer")]
    finally:
        app.kill()
        app.wait(10)


def _has_ctrl_client(baresip) -> bool:
    """Whether a client holds baresip's ctrl_tcp port, read from /proc (connecting would steal it)."""
    local = f"0100007F:{baresip.ctrl_port:04X}"
    return any(line.split()[1] == local and line.split()[3] == "01"   # 01 = ESTABLISHED
               for line in open("/proc/net/tcp").read().splitlines()[1:])


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

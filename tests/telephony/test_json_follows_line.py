"""Issue 20 through a real JSON bridge socket: call waiting moves the keys, replays after a restart,
calls left open forever, the bridge's live-call list. The card, controller and SQLite file are the app's own."""

import json
import socket
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from hangup_coach.core.coach import Phase
from hangup_coach.core.events import NOT_ON_LINE, STALE
from desk_helpers import close_desk, stored_note
from sip_harness import free_port

A, B, C = "13800000001", "13800000002", "13800000003"


class Bridge:
    """A CTI bridge as an integrator writes it: the token first, then one JSON object per line."""

    def __init__(self, qtbot, desk):
        self.sock = socket.create_connection(("127.0.0.1", desk.softphone.port))
        self.sock.sendall(json.dumps({"auth": desk.softphone.token}).encode() + b"\n")
        qtbot.waitUntil(lambda: desk.softphone.state == "online", timeout=3000)

    def send(self, event, call_id="", **fields):
        message = {"event": event, **({"call_id": call_id} if call_id else {}), **fields}
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def close(self):
        self.sock.close()


@pytest.fixture
def json_desk(qtbot, open_desk):
    port = free_port()
    bridges = []

    def open_(bridge=True):
        desk = open_desk(f"json://127.0.0.1:{port}", wait_online=False)
        qtbot.waitUntil(lambda: desk.softphone.state == "connecting" and desk.controller._store_open, timeout=3000)
        if bridge:
            bridges.append(Bridge(qtbot, desk))
            return desk, bridges[-1]
        return desk

    yield open_
    for bridge in bridges:
        bridge.close()


def session_of(desk, call_id):
    return desk.controller.coach.by_line_id(call_id)


def wait_phase(qtbot, desk, call_id, phase):
    qtbot.waitUntil(lambda: session_of(desk, call_id) is not None and session_of(desk, call_id).phase is phase,
                    timeout=3000)
    return session_of(desk, call_id)


def restart(desk, json_desk):
    """The card goes away as in a crash (no wrap-up) and starts again on the same database file."""
    close_desk(desk)
    return json_desk()


# ----- item 1: call waiting through a bridge --------------------------------------------------------


def test_answering_the_waiting_call_on_the_phone_moves_the_keys_and_keeps_the_note(qtbot, json_desk):
    desk, bridge = json_desk()
    bridge.send("ringing", "A", number=A)
    bridge.send("answered", "A")
    a = wait_phase(qtbot, desk, "A", Phase.TALKING)
    qtbot.keyClicks(desk.card.note, "A wants the card fee back")
    bridge.send("ringing", "B", number=B)
    wait_phase(qtbot, desk, "B", Phase.RINGING)
    assert desk.controller.current is a                              # a ringing call never takes the keys
    bridge.send("answered", "B")                                     # the agent picked B up on the phone
    b = wait_phase(qtbot, desk, "B", Phase.TALKING)

    assert desk.controller.current is b                              # the keys act on B now
    assert desk.card.switch_note.isVisible() and "138****0002" in desk.card.switch_note.text()
    assert "138****0001" in desk.card.switch_note.text()             # ...and where the note stayed
    assert desk.card.note.toPlainText() == ""
    qtbot.keyClicks(desk.card.note, "B moved house")
    desk.card.flush_note()
    assert desk.controller.wait_saved()
    assert (stored_note(desk, a), stored_note(desk, b)) == ("A wants the card fee back", "B moved house")
    qtbot.mouseClick(desk.card.buttons["hang_up"], Qt.LeftButton)   # "I hung up" records B's end, not A's
    assert (b.phase, a.phase) == (Phase.ENDED, Phase.TALKING)

    bridge.send("held", "A")                                         # hold state comes from the line
    qtbot.waitUntil(lambda: a.held, timeout=3000)
    bridge.send("resumed", "A")
    qtbot.waitUntil(lambda: not a.held, timeout=3000)
    assert desk.controller.current is a                              # the line connected A again


# ----- item 3: a bridge replays after a card restart ------------------------------------------------


def test_a_replay_of_an_ended_call_after_a_restart_makes_no_second_row(qtbot, json_desk):
    desk, bridge = json_desk()
    for event, extra in (("ringing", {"number": A}), ("answered", {}), ("ended", {"ended_by": "customer"})):
        bridge.send(event, "A-1001", **extra)
    wait_phase(qtbot, desk, "A-1001", Phase.ENDED)
    qtbot.mouseClick(desk.card.buttons["done"], Qt.LeftButton)
    assert len(desk.rows()) == 1 and desk.rows()[0]["wrapped_up_at"] is not None
    bridge.close()

    again, bridge = restart(desk, json_desk)
    for event, extra in (("ringing", {"number": A}), ("answered", {}), ("ended", {"ended_by": "customer"})):
        bridge.send(event, "A-1001", **extra)                        # the bridge replays its backlog
    bridge.send("ringing", "B-1002", number=B)                        # then a new call, in order after it
    wait_phase(qtbot, again, "B-1002", Phase.RINGING)
    assert [r["line_call_id"] for r in again.rows()] == ["A-1001", "B-1002"]
    assert again.controller.current is session_of(again, "B-1002")


# ----- item 4: calls that would stay open forever --------------------------------------------------


def test_the_bridges_call_list_closes_a_call_that_ended_while_the_card_was_down(qtbot, json_desk):
    desk, bridge = json_desk()
    bridge.send("ringing", "A", number=A)
    bridge.send("answered", "A")
    wait_phase(qtbot, desk, "A", Phase.TALKING)
    bridge.close()
    again, bridge = restart(desk, json_desk)                          # A ended meanwhile; the end was lost
    a = wait_phase(qtbot, again, "A", Phase.TALKING)
    bridge.send("calls", calls=[{"call_id": "B", "state": "talking", "number": B, "connected_for": 8}])
    b = wait_phase(qtbot, again, "B", Phase.TALKING)
    assert a.phase is Phase.ENDED and a.record.close_reason == NOT_ON_LINE
    assert again.controller.current is b                              # the call being talked to has the keys
    assert (a.record.answered_at and b.record.times_reconstructed
            and abs((again.controller.clock.now() - b.record.answered_at).total_seconds() - 8) < 2)


def test_an_end_before_its_ring_closes_the_id(qtbot, json_desk):
    desk, bridge = json_desk()
    bridge.send("ended", "late", ended_by="customer")
    bridge.send("ringing", "late", number=A)                         # arrives after its own end
    bridge.send("ringing", "next", number=B)
    wait_phase(qtbot, desk, "next", Phase.RINGING)
    assert session_of(desk, "late") is None and [r["line_call_id"] for r in desk.rows()] == ["next"]


def test_a_call_silent_past_the_limit_is_closed_and_the_card_says_so(qtbot, json_desk):
    desk, bridge = json_desk()
    bridge.send("ringing", "A", number=A)
    bridge.send("answered", "A")
    a = wait_phase(qtbot, desk, "A", Phase.TALKING)
    a.last_heard -= timedelta(hours=desk.controller.policy.stale_call_hours, seconds=1)   # hours of silence
    desk.controller._check_stale()                                   # what the minute timer runs
    assert a.phase is Phase.ENDED and a.record.ended_by == "unknown" and a.record.close_reason == STALE
    assert desk.card.flag.isVisible() and desk.card.t["stale_flag"] in desk.card.flag.text()
    assert desk.rows()[0]["close_reason"] == STALE


def test_the_agent_closes_a_call_by_key_with_a_reason(qtbot, json_desk):
    desk, bridge = json_desk()
    bridge.send("ringing", "A", number=A)
    bridge.send("answered", "A")
    a = wait_phase(qtbot, desk, "A", Phase.TALKING)
    menu = desk.card.close_menu
    qtbot.waitUntil(lambda: desk.card.buttons["close_call"].isVisible(), timeout=1000)
    desk.card.press("close_call")                                    # Ctrl+Alt+X opens the reasons
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    menu.actions()[0].trigger()                                      # "The call has ended on the phone"
    menu.hide()
    assert a.phase is Phase.ENDED and a.record.close_reason.endswith("ended_on_phone")
    assert desk.card.wrapup.isVisible() and desk.card.t["closed_on_card_flag"] in desk.card.flag.text()


# ----- item 6 for a bridge: events read after the card was frozen keep the line's time -------------


def test_an_end_read_after_the_card_was_frozen_is_dated_by_the_bridges_time(qtbot, json_desk):
    import threading
    import time
    from datetime import datetime, timezone

    desk, bridge = json_desk()
    bridge.send("ringing", "A", number=A, at=time.time())
    bridge.send("answered", "A", at=time.time())
    a = wait_phase(qtbot, desk, "A", Phase.TALKING)
    sent = []

    def customer_hangs_up():
        sent.append(time.time())
        bridge.send("ended", "A", ended_by="customer", at=sent[0])

    sender = threading.Thread(target=customer_hangs_up)
    sender.start()
    sender.join(10)
    time.sleep(1.5)   # the card's GUI thread frozen (suspended, stopped) after the end was sent: not a wait
    resumed = datetime.now(timezone.utc)
    wait_phase(qtbot, desk, "A", Phase.ENDED)
    assert abs((a.record.ended_at - datetime.fromtimestamp(sent[0], timezone.utc)).total_seconds()) < 0.001
    assert (resumed - a.record.ended_at).total_seconds() >= 1.5   # not when the card read it
    assert desk.controller.wait_saved(5)
    [row] = desk.rows("SELECT ended_at, ended_by FROM calls WHERE line_call_id = 'A'")
    assert row["ended_by"] == "customer" and row["ended_at"].startswith(a.record.ended_at.isoformat()[:19])


def test_a_ringing_call_in_the_bridges_list_takes_its_start_from_the_line(qtbot, json_desk):
    from datetime import datetime, timezone

    desk, bridge = json_desk()
    bridge.send("calls", calls=[{"call_id": "R", "state": "ringing", "number": A, "started_for": 6.5}])
    wait_phase(qtbot, desk, "R", Phase.RINGING)
    record = session_of(desk, "R").record
    waited = (datetime.now(timezone.utc) - record.started_at).total_seconds()
    assert 6.5 <= waited < 9.5 and record.times_reconstructed


# ----- item 5: a burst never blocks the card ---------------------------------------------------------


def test_a_backlog_burst_lets_the_card_turn_and_a_live_call_comes_first(qtbot, json_desk):
    from PySide6.QtCore import QTimer

    from hangup_coach.ui.call_list import MAX_ROWS

    desk, bridge = json_desk()
    phone, controller = desk.softphone, desk.controller
    moves, ticks_during_burst = [], []
    controller.focus_moved.connect(lambda before, now: moves.append(now.record.line_call_id))
    timer = QTimer(interval=0)
    timer.timeout.connect(lambda: ticks_during_burst.append(phone.backlog) if phone.backlog else None)
    timer.start()
    burst = 600
    lines = []
    for i in range(burst):   # calls that rang, were answered and ended while the bridge could not send
        lines += [{"event": "ringing", "call_id": f"b{i}", "number": f"1390000{i:04d}"},
                  {"event": "answered", "call_id": f"b{i}"}, {"event": "ended", "call_id": f"b{i}"}]
    lines += [{"event": "ringing", "call_id": "live", "number": A}, {"event": "answered", "call_id": "live"}]
    bridge.sock.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in lines))   # one write, one read
    qtbot.waitUntil(lambda: session_of(desk, "live") is not None and controller.current is session_of(desk, "live"),
                    timeout=20_000)
    assert phone.backlog > 0                                   # the live call came before the backlog's end
    qtbot.waitUntil(lambda: phone.backlog == 0, timeout=60_000)
    timer.stop()
    assert len(ticks_during_burst) > 5                          # the event loop turned while it was worked through
    assert set(moves) <= {"live"} and controller.current is session_of(desk, "live")   # backlog never took the keys
    assert len(desk.rows("SELECT * FROM calls WHERE ended_at IS NOT NULL")) == burst
    shown = [r for r in desk.card.call_list.rows if r.isVisible()]
    assert len(shown) == MAX_ROWS and desk.card.call_list.more.isVisible()
    assert str(burst - MAX_ROWS) in desk.card.call_list.more.text()


def test_a_backlogs_rings_find_their_callers_history_read_ahead_of_them(qtbot, json_desk, monkeypatch):
    """The GUI thread does not wait for each ring's history read behind the backlog's writes: the
    source hands the numbers it has read over first, the worker reads them meanwhile, a few per read."""
    from collections import Counter

    from hangup_coach.core.phone import normalise

    desk, bridge = json_desk()
    worker = desk.controller.worker
    read, waited = [], []
    real_history, real_call = worker.store.history, worker.call

    def history(e164, now, days):
        read.append(e164)
        return real_history(e164, now, days)

    def call(fn, timeout):   # a ring reading its history itself, the GUI thread waiting for it
        waited.append(fn)
        return real_call(fn, timeout)

    monkeypatch.setattr(worker.store, "history", history)
    monkeypatch.setattr(worker, "call", call)
    numbers = [f"1390000{i:04d}" for i in range(40)] + ["13900000000"]   # the first caller rings again last
    lines = []
    for i, number in enumerate(numbers):
        lines += [{"event": "ringing", "call_id": f"b{i}", "number": number},
                  {"event": "answered", "call_id": f"b{i}"}, {"event": "ended", "call_id": f"b{i}"}]
    bridge.sock.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in lines))
    qtbot.waitUntil(lambda: desk.softphone.backlog == 0 and len(read) >= len(numbers), timeout=20_000)
    assert len(waited) <= 1                 # at most the repeated caller's second ring read its own
    e164 = [normalise(n).e164 for n in numbers]
    assert Counter(read) == Counter(e164)   # each ring's history read once; the repeat read afresh
    assert desk.controller.wait_saved(10)
    assert len(desk.rows("SELECT * FROM calls WHERE ended_at IS NOT NULL")) == len(numbers)

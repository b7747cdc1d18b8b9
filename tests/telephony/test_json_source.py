"""The generic JSON-lines CTI source: its parser (fuzzed) and the listening socket with a real bridge."""

import json
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hangup_coach.core.callers import EndedBy
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import CallEvent, EventKind
from hangup_coach.core.text import CALL_ID_LIMIT, clean_line
from hangup_coach.telephony.json_events import LineSplitter, parse_line
from hangup_coach.telephony.jsonpayload import BadMessage
from sip_harness import free_port

FUZZ = settings(max_examples=150, deadline=None)
DOC = Path(__file__).parents[2] / "docs" / "softphones.md"


def test_parses_each_event_kind():
    assert parse_line(b'{"event":"ringing","call_id":"c1","number":"13800138000"}') == \
        CallEvent(EventKind.RINGING, "c1", "13800138000")
    assert parse_line(b'{"event":"answered","call_id":"c1"}') == CallEvent(EventKind.ANSWERED, "c1")
    assert parse_line(b'{"event":"ended","call_id":"c1","ended_by":"customer","reason":"BYE"}') == \
        CallEvent(EventKind.ENDED, "c1", None, EndedBy.CUSTOMER, "BYE")


def test_an_end_with_a_bad_ended_by_is_kept_as_unknown():
    assert parse_line(b'{"event":"ended","call_id":"c1","ended_by":"martians"}').ended_by is EndedBy.UNKNOWN


@pytest.mark.parametrize("line", [
    b"\xff{}", b"[]", b"17", b"{", b'{"call_id":"c1"}', b'{"event":"ringing"}', b'{"event":"ringing","call_id":""}',
    b'{"event":"transferred","call_id":"c1"}', b'{"event":"ringing","call_id":3}', b'{"event":["ringing"],"call_id":"c"}',
])
def test_unusable_lines_raise_bad_message(line):
    with pytest.raises(BadMessage):
        parse_line(line)


def test_splitter_drops_an_overlong_line_whole_and_keeps_the_next():
    splitter = LineSplitter(max_len=10)
    assert splitter.feed(b"x" * 25) == []
    assert splitter.feed(b"yyyy\nok\r\n\n") == [b"ok"]
    assert splitter.skipped == 1 and splitter.buffered == 0


valid_line = st.fixed_dictionaries(
    {"event": st.sampled_from(["ringing", "answered", "ended"]),
     "call_id": st.text(min_size=1, max_size=12).filter(lambda s: clean_line(s, CALL_ID_LIMIT))},   # not blank
    optional={"number": st.text(max_size=20), "ended_by": st.sampled_from(["agent", "customer", "system", "unknown"]),
              "reason": st.text(max_size=30)},
).map(lambda d: json.dumps(d).encode())


@FUZZ
@given(st.lists(st.one_of(valid_line.map(lambda b: ("ok", b)),
                          st.binary(max_size=50).map(lambda b: ("bad", b.replace(b"\n", b"")))), max_size=30),
       st.lists(st.integers(0, 5000), max_size=20))
def test_any_mix_of_lines_in_any_chunks_yields_exactly_the_valid_events(items, cuts):
    data = b"".join(line + b"\n" for _tag, line in items)
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    splitter, events = LineSplitter(), []
    for a, b in zip(points, points[1:]):
        for line in splitter.feed(data[a:b]):
            try:
                events.append(parse_line(line))
            except BadMessage:
                pass
    assert events == [parse_line(line) for tag, line in items if tag == "ok"]


def test_bridge_events_reach_the_card_and_garbage_does_not_drop_the_bridge(qtbot, open_desk):
    port = free_port()
    desk = open_desk(f"json://127.0.0.1:{port}", wait_online=False)
    qtbot.waitUntil(lambda: desk.softphone.state == "connecting", timeout=3000)   # listening, no bridge yet
    with socket.create_connection(("127.0.0.1", port)) as bridge:
        bridge.sendall(json.dumps({"auth": desk.softphone.token}).encode() + b"\n")
        qtbot.waitUntil(lambda: desk.softphone.state == "online", timeout=3000)
        bridge.sendall(b'{"event":"ringing","call_id":"c7","number":"13800138000"}\n'
                       b"\xff\xfe not json\n[1,2]\n" + b"z" * 70_000 + b"\n" + b'{"event":"exploded","call_id":"c7"}\n'
                       b'{"event":"answered","call_id":"c7"}\n')
        qtbot.waitUntil(lambda: desk.controller.current is not None
                        and desk.controller.current.phase is Phase.TALKING, timeout=3000)
        assert desk.card.number.text() == "138****8000"
        bridge.sendall(b'{"event":"ended","call_id":"c7","ended_by":"customer","reason":"caller hung up"}\n')
        qtbot.waitUntil(lambda: desk.controller.current.phase is Phase.ENDED, timeout=3000)
    [row] = desk.rows()
    assert (row["ended_by"], row["close_reason"], row["line_call_id"]) == ("customer", "caller hung up", "c7")
    qtbot.waitUntil(lambda: desk.softphone.state == "connecting", timeout=3000)   # bridge gone, still listening


def test_the_example_bridge_in_the_docs_works(qtbot, open_desk, tmp_path):
    """The few lines of Python a CTI integrator copies from docs/softphones.md really drive the card."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1).split("if __name__")[0]
    port = free_port()
    desk = open_desk(f"json://127.0.0.1:{port}", wait_online=False)
    qtbot.waitUntil(lambda: desk.softphone.state == "connecting", timeout=3000)
    script = tmp_path / "bridge.py"
    script.write_text(code + textwrap.dedent(f"""
        bridge = connect(port={port}, token={desk.softphone.token!r})
        send(bridge, "ringing", "demo-1", number="13800138000")
        send(bridge, "answered", "demo-1")
        send(bridge, "ended", "demo-1", ended_by="agent", reason="agent pressed release")
        bridge.close()
    """))
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        qtbot.waitUntil(lambda: len(desk.rows("SELECT * FROM calls WHERE ended_at IS NOT NULL")) == 1, timeout=5000)
    finally:
        proc.kill()
        proc.wait()
    [row] = desk.rows()
    assert (row["caller_number"], row["ended_by"], row["close_reason"]) == \
        ("+8613800138000", "agent", "agent pressed release")
    assert row["answered_at"] is not None


def test_a_port_in_use_is_reported_offline_and_retried(qtbot, open_desk):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        desk = open_desk(f"json://127.0.0.1:{port}", wait_online=False)
        qtbot.waitUntil(lambda: desk.softphone.state == "offline", timeout=3000)
        assert f"cannot listen on 127.0.0.1:{port}" in desk.statuses[-1][1]
    qtbot.waitUntil(lambda: desk.softphone.state == "connecting", timeout=5000)   # listening once the port is free

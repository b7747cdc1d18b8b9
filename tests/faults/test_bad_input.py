"""Hostile and broken input at the edges: a lone UTF-16 surrogate in every field of every event kind
(what a JavaScript bridge sends when it cuts a string inside an emoji), through the real JSON source
and the baresip event parser. Every call is stored, once, and the calls after it too."""

import json
import socket

from hangup_coach.telephony.baresip_events import CallTracker, parse_message
from hangup_coach.telephony.factory import softphone_from_url

from .conftest import free_port

SUR = "\ud83d"       # half an emoji
TOKEN = "s3cret-token-for-tests"


def json_line(**fields) -> bytes:
    return json.dumps(fields).encode() + b"\n"     # ensure_ascii: the surrogate goes as "\\ud83d"


def test_a_lone_surrogate_in_any_field_of_any_json_event_loses_no_call(qtbot, open_desk, tmp_path):
    port = free_port()
    desk = open_desk(tmp_path / "calls.db", softphone_from_url(f"json://127.0.0.1:{port}", token=TOKEN))
    lines = []
    for i, bad in enumerate(["call_id", "number", "ended_by", "reason"]):
        call_id = f"c{i}" + (SUR if bad == "call_id" else "")
        number = "1380013800" + str(i) + (SUR if bad == "number" else "")
        lines += [
            json_line(event="ringing", call_id=call_id, number=number),
            json_line(event="answered" + SUR, call_id=call_id),            # a broken kind: skipped
            json_line(event="answered", call_id=call_id, number=number, **{SUR: SUR}),
            json_line(event="ended", call_id=call_id, number=number,
                      ended_by="customer" + (SUR if bad == "ended_by" else ""),
                      reason="BYE " + (SUR if bad == "reason" else "ok")),
        ]
    lines += [json_line(event="ringing", call_id="after", number="13912345678"),
              json_line(event="answered", call_id="after")]
    with socket.create_connection(("127.0.0.1", port)) as bridge:
        bridge.sendall(json_line(auth=TOKEN) + b"".join(lines))
        qtbot.waitUntil(lambda: desk.controller.coach.by_line_id("after") is not None, timeout=5000)
    # the card went on: the new call, answered last, is in focus; the ended ones wait in the list for their wrap-up
    qtbot.waitUntil(lambda: desk.card.number.text() == "139****5678", timeout=5000)
    qtbot.waitUntil(lambda: desk.controller.softphone.backlog == 0, timeout=5000)   # the ended calls after the live one
    assert any(row.property("state") == "wrapup" for row in desk.card.call_list.rows if row.isVisible())
    assert desk.controller.wait_saved(5)
    rows = {r["line_call_id"]: r for r in desk.rows()}
    assert sorted(rows) == sorted(["c0\ufffd", "c1", "c2", "c3", "after"])   # each call once
    assert rows["c1"]["caller_raw"] == "13800138001\ufffd" and rows["c1"]["caller_number"] is None
    assert rows["c2"]["ended_by"] == "unknown" and rows["c3"]["close_reason"] == "BYE \ufffd"
    assert all(rows[k]["ended_at"] and rows[k]["answered_at"] for k in ("c0\ufffd", "c1", "c2", "c3"))
    assert desk.statuses in ([], ["ok"])                                      # the store never failed


def baresip_event(kind, call_id, peeruri, param=""):
    return json.dumps({"event": True, "type": kind, "class": "call", "direction": "incoming",
                       "accountaor": "sip:agent@127.0.0.1", "peeruri": peeruri, "id": call_id,
                       "peerdisplayname": "Customer" + SUR, "param": param}).encode()


def test_a_lone_surrogate_in_any_field_of_any_baresip_event_loses_no_call(qtbot, open_desk, tmp_path):
    desk = open_desk(tmp_path / "calls.db")
    tracker = CallTracker()
    expected = []
    for i, bad in enumerate(["id", "peeruri", "param"]):
        call_id = f"{i}-24093@127.0.0.1" + (SUR if bad == "id" else "")
        peer = f"sip:1380013800{i}{SUR if bad == 'peeruri' else ''}@127.0.0.1"
        for kind, param in (("CALL_INCOMING", ""), ("CALL_ESTABLISHED", ""),
                            ("CALL_CLOSED", "Connection reset by peer" + (SUR if bad == "param" else ""))):
            for event in tracker.on_event(parse_message(baresip_event(kind, call_id, peer, param))):
                desk.controller.on_line_event(event)
        expected.append(call_id.replace(SUR, "\ufffd"))
    assert desk.controller.wait_saved(5)
    rows = desk.rows()
    assert sorted(r["line_call_id"] for r in rows) == sorted(expected)
    assert all(r["ended_at"] and r["answered_at"] for r in rows), rows
    assert [r["ended_by"] for r in rows[:2]] == ["customer", "customer"]
    assert rows[2]["close_reason"] == "Connection reset by peer\ufffd"


def test_a_pasted_number_with_full_width_digits_and_invisible_marks_is_the_real_number(qtbot, open_desk, tmp_path):
    desk = open_desk(tmp_path / "calls.db")
    pasted = "\u200e１３８\u00a0００１３\t８０００\u2060"        # what a CRM's copy puts on the clipboard
    desk.card.number_input.setText(pasted)
    desk.card.start_manual_call()
    record = desk.controller.current.record
    assert record.caller_number == "+8613800138000" and desk.card.number.text() == "138****8000"
    assert desk.controller.wait_saved(5)
    [row] = desk.rows()
    assert row["caller_number"] == "+8613800138000"
    assert row["caller_raw"] == pasted.replace("\t", " ")      # what was pasted, as one line of text

"""baresip ctrl_tcp messages → CallEvents, with the event sequences measured from baresip 1.0."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hangup_coach.core.callers import EndedBy
from hangup_coach.core.events import CallEvent, EventKind, LineCall
from hangup_coach.telephony.baresip_events import (
    CallTracker, LineEvent, Listed, Reply, caller_number, parse_callstat, parse_listcalls, parse_message, selected,
)
from hangup_coach.telephony.jsonpayload import BadMessage
from hangup_coach.telephony.netstring import NetstringDecoder, encode

FUZZ = settings(max_examples=150, deadline=None)
CALL = "1-24093@127.0.0.1"
PEER = "sip:13800138000@127.0.0.1"


def event(kind, call_id=CALL, param="", peeruri=PEER, **extra):
    return {"event": True, "type": kind, "class": "call", "accountaor": "sip:agent@127.0.0.1:5070",
            "direction": "incoming", "peeruri": peeruri, "peerdisplayname": "Customer", "id": call_id,
            "param": param, **extra}


def feed(tracker, *messages):
    out = []
    for msg in messages:
        out += tracker.on_event(parse_message(json.dumps(msg).encode()))
    return out


def kinds(events):
    return [(e.kind, e.ended_by, e.close_reason) for e in events]


def test_parses_an_event_and_a_reply_as_baresip_writes_them():
    raw = (b'{"event":true,"type":"CALL_CLOSED","class":"call","accountaor":"sip:agent@127.0.0.1:5070",'
           b'"direction":"incoming","peeruri":"sip:13800138000@127.0.0.1","peerdisplayname":"Customer 13800138000",'
           b'"id":"1-24093@127.0.0.1","param":"Connection reset by peer"}')
    assert parse_message(raw) == LineEvent("CALL_CLOSED", CALL, PEER, "Connection reset by peer")
    reply = b'{"response":true,"ok":true,"data":"sip:agent@127.0.0.1:5070: Answering incoming call\\n","token":"t2"}'
    assert parse_message(reply) == Reply("t2", True, "sip:agent@127.0.0.1:5070: Answering incoming call\n")
    assert parse_message(b'{"event":true,"type":"X","peeruri":"sip:a\\/b@h"}').peeruri == "sip:a/b@h"


@pytest.mark.parametrize("payload", [
    b"\xff\xfe{}",                              # invalid UTF-8
    b"[1, 2]", b'"text"', b"42", b"null",       # JSON, not an object
    b"{not json", b"", b"[" * 100_000,          # not JSON; absurdly deep
    b'{"type":"CALL_CLOSED"}',                  # neither event nor response
    b'{"event":true}',                          # no type
    b'{"event":true,"type":7}',                 # type of the wrong kind
    b'{"event":true,"type":"CALL_CLOSED","id":["x"]}',
    b'{"response":true,"token":"t1"}',          # no ok
])
def test_unusable_messages_raise_bad_message(payload):
    with pytest.raises(BadMessage):
        parse_message(payload)


@pytest.mark.parametrize("uri, number", [
    ("sip:13800138000@127.0.0.1", "13800138000"),
    ("sip:+8613800138000@pbx.example;user=phone", "+8613800138000"),
    ("sips:13800138000:secret@127.0.0.1:5061", "13800138000"),
    ("<sip:13800138000@127.0.0.1>", "13800138000"),
    ("sip:%2B8613800138000@host", "+8613800138000"),
    ("tel:+86-138-0013-8000;phone-context=+86", "+86-138-0013-8000"),
    ("sip:anonymous@anonymous.invalid", "anonymous"),   # the coach makes it class unknown
    ("sip:127.0.0.1", None), ("", None), ("mailto:x@y", None), ("sip:@host", None),
])
def test_caller_number_is_the_user_part_of_peeruri(uri, number):
    assert caller_number(uri) == number


def test_auto_answer_customer_hangs_up():
    """Case A: no CALL_INCOMING in auto mode; the first event of a new id rings."""
    tracker = CallTracker()
    events = feed(tracker, event("CALL_REMOTE_SDP", param="offer"), event("CALL_LOCAL_SDP", param="answer"),
                  event("CALL_ESTABLISHED", param=PEER), event("CALL_CLOSED", param="Connection reset by peer"))
    assert kinds(events) == [(EventKind.RINGING, EndedBy.UNKNOWN, ""), (EventKind.ANSWERED, EndedBy.UNKNOWN, ""),
                             (EventKind.ENDED, EndedBy.CUSTOMER, "Connection reset by peer")]
    assert all(e.call_id == CALL and e.number == "13800138000" for e in events)
    assert tracker.open_ids == []


def test_manual_answer_then_agent_hangs_up_through_the_line():
    tracker = CallTracker()
    events = feed(tracker, event("CALL_INCOMING", param=PEER), event("CALL_REMOTE_SDP"),
                  event("CALL_ESTABLISHED"), event("CALL_CLOSED", param="Connection reset by user"))
    assert [k for k, _b, _r in kinds(events)] == [EventKind.RINGING, EventKind.ANSWERED, EventKind.ENDED]
    assert events[-1].ended_by is EndedBy.AGENT


def test_customer_cancel_while_ringing_ends_without_an_answer():
    events = feed(CallTracker(), event("CALL_INCOMING"), event("CALL_CLOSED", param="Connection reset by peer"))
    assert kinds(events) == [(EventKind.RINGING, EndedBy.UNKNOWN, ""),
                             (EventKind.ENDED, EndedBy.CUSTOMER, "Connection reset by peer")]


def test_other_close_texts_are_unknown_and_kept_raw():
    events = feed(CallTracker(), event("CALL_ESTABLISHED"), event("CALL_CLOSED", param="Request Timeout 408"))
    assert kinds(events)[-1] == (EventKind.ENDED, EndedBy.UNKNOWN, "Request Timeout 408")


def test_the_cards_hangup_is_the_agents_whatever_the_line_says():
    tracker = CallTracker()
    feed(tracker, event("CALL_ESTABLISHED"))
    tracker.agent_hangs_up(CALL)
    [ended] = feed(tracker, event("CALL_CLOSED", param="Connection reset by peer"))   # BYEs crossed
    assert (ended.ended_by, ended.close_reason) == (EndedBy.AGENT, "Connection reset by peer")
    assert tracker.hangup_accepted(CALL) == []   # the reply after the event adds nothing


def test_an_accepted_hangup_ends_the_call_even_before_the_event():
    tracker = CallTracker()
    feed(tracker, event("CALL_ESTABLISHED"))
    tracker.agent_hangs_up(CALL)
    [ended] = tracker.hangup_accepted(CALL)
    assert ended.ended_by is EndedBy.AGENT and ended.kind is EventKind.ENDED
    assert feed(tracker, event("CALL_CLOSED", param="Connection reset by user")) == []   # no second end


def test_a_failed_hangup_does_not_claim_the_next_close():
    tracker = CallTracker()
    feed(tracker, event("CALL_ESTABLISHED"))
    tracker.agent_hangs_up(CALL)
    tracker.hangup_failed(CALL)
    [ended] = feed(tracker, event("CALL_CLOSED", param="Connection reset by peer"))
    assert ended.ended_by is EndedBy.CUSTOMER


def test_events_without_id_other_classes_and_late_events_are_ignored():
    tracker = CallTracker()
    assert feed(tracker, {"event": True, "type": "CALL_LOCAL_SDP", "param": "offer"}) == []   # outgoing, no id yet
    assert feed(tracker, {"event": True, "type": "REGISTER_OK", "class": "register"}) == []
    feed(tracker, event("CALL_ESTABLISHED"), event("CALL_CLOSED", param="Connection reset by peer"))
    assert feed(tracker, event("CALL_RTCP"), event("CALL_CLOSED")) == []   # no phantom call after the end


# Verbatim from baresip 1.0.0 (two calls: one answered then held by an `accept`, one ringing).
LISTCALLS = ("\n--- Active calls (2) ---\n  [line 1]  0:00:05  ESTABLISHED  (on hold)  sip:13800138001@127.0.0.1\n"
             "> [line 2]  0:00:01   INCOMING             sip:13800138002@127.0.0.1\n\n")
CALLSTAT = ("\n===== Call debug (INCOMING) =====\n local_uri:  <sip:agent@127.0.0.1:55869>\n"
            " peer_uri:  Customer 13800138002 <sip:13800138002@127.0.0.1>\n af=AF_INET id=1-17855@127.0.0.1\n"
            " direction: Incoming\nSDP session\n  local attributes:\n    tool='baresip 1.0.0'\n")


def test_listcalls_and_callstat_text_is_read():
    assert parse_listcalls(LISTCALLS) == [Listed(1, "ESTABLISHED", "sip:13800138001@127.0.0.1", held=True, duration=5),
                                          Listed(2, "INCOMING", "sip:13800138002@127.0.0.1", duration=1)]
    assert parse_listcalls("\n--- Active calls (0) ---\n\n") == []
    assert parse_listcalls("command not found (listcalls)") is None
    assert parse_callstat(CALLSTAT) == Listed(0, "INCOMING", "sip:13800138002@127.0.0.1", call_id="1-17855@127.0.0.1")
    assert parse_callstat("\n(no active calls)\n") is None
    assert selected(Reply("t", True, "setting current call: 1-17855@127.0.0.1\n"))
    assert not selected(Reply("t", True, "call not found (id=nonexistent)\n"))
    assert not selected(Reply("t", False, "command not found (callfind)\n"))


def test_reconcile_takes_baresips_list_as_the_truth():
    tracker = CallTracker()
    feed(tracker, event("CALL_ESTABLISHED", call_id="a", peeruri="sip:111@h"),
         event("CALL_ESTABLISHED", call_id="b", peeruri="sip:222@h"))
    tracker.mark()
    listed = [Listed(1, "ESTABLISHED", "sip:222@h", call_id="b"), Listed(2, "INCOMING", "sip:333@h", call_id="c"),
              Listed(3, "INCOMING", "sip:444@h")]   # no id could be read for this one
    assert tracker.reconcile(listed) == [LineCall("b", "222", True), LineCall("c", "333", False),
                                         LineCall("", "444", False)]
    assert tracker.open_ids == ["b", "c"]             # "a" is gone; "c" can now be answered or hung up
    assert feed(tracker, event("CALL_ESTABLISHED", call_id="a")) == []   # and stays gone


def test_a_call_with_news_during_the_reconcile_is_kept_and_one_that_closed_is_not():
    tracker = CallTracker()
    tracker.mark()
    feed(tracker, event("CALL_INCOMING", call_id="new", peeruri="sip:555@h"),       # rang after listcalls
         event("CALL_INCOMING", call_id="old", peeruri="sip:666@h"),
         event("CALL_CLOSED", call_id="old", param="Connection reset by peer"))  # listed, then closed
    listed = [Listed(1, "INCOMING", "sip:666@h", call_id="old")]
    assert tracker.reconcile(listed) == [LineCall("new", "555", False)]


def test_accept_holds_the_other_answered_calls():
    tracker = CallTracker()
    feed(tracker, event("CALL_ESTABLISHED", call_id="a", peeruri="sip:111@h"),
         event("CALL_INCOMING", call_id="b", peeruri="sip:222@h"))
    assert not tracker.media_seen("b")
    feed(tracker, event("CALL_LOCAL_SDP", call_id="b", param="answer"))
    assert tracker.media_seen("b")
    assert tracker.hold_others("b") == [CallEvent(EventKind.HELD, "a", "111")]
    assert tracker.hold_others("b") == []
    assert not tracker.talking("a")
    assert tracker.set_held("a", False) == [CallEvent(EventKind.RESUMED, "a", "111")]


baresip_event = st.fixed_dictionaries(
    {"event": st.just(True),
     "type": st.sampled_from(["CALL_INCOMING", "CALL_REMOTE_SDP", "CALL_ESTABLISHED", "CALL_CLOSED", "CALL_RTCP",
                              "REGISTER_OK", "VU_RX", "SOMETHING_NEW"]),
     "id": st.sampled_from(["1-1@127.0.0.1", "1-2@127.0.0.1", ""]),
     "peeruri": st.sampled_from(["sip:13800138000@127.0.0.1", "sip:anonymous@anonymous.invalid", "sip:x", ""]),
     "param": st.sampled_from(["Connection reset by user", "Connection reset by peer", "", "Request Timeout"])})
malformed = st.one_of(
    st.just(b"\xff\xfe\xfd"), st.just(b"[1,2]"), st.just(b'"s"'), st.just(b"{"), st.just(b'{"event":true}'),
    st.just(b'{"response":true}'), st.just(b'{"event":true,"type":"CALL_CLOSED","id":5}'),
    st.binary(max_size=40),
)


def run(payloads):
    decoder, tracker, out = NetstringDecoder(), CallTracker(), []
    for payload in decoder.feed(b"".join(encode(p) for p in payloads)):
        try:
            message = parse_message(payload)
        except BadMessage:
            continue
        if isinstance(message, LineEvent):
            out += tracker.on_event(message)
    assert decoder.skipped == 0   # the framing was valid; only payloads were bad
    return out


@FUZZ
@given(st.lists(st.one_of(baresip_event.map(lambda e: ("ok", e)), malformed.map(lambda b: ("bad", b))), max_size=40))
def test_bad_messages_are_skipped_without_changing_what_the_good_ones_mean(items):
    good = [json.dumps(x).encode() for tag, x in items if tag == "ok"]
    out = run([json.dumps(x).encode() if tag == "ok" else x for tag, x in items])
    assert out == run(good)
    open_calls = set()
    for e in out:   # a call rings once, then ends at most once
        if e.kind is EventKind.RINGING:
            assert e.call_id not in open_calls
            open_calls.add(e.call_id)
        elif e.kind is EventKind.ANSWERED:
            assert e.call_id in open_calls
        else:
            open_calls.discard(e.call_id)

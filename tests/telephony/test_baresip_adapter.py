"""The baresip adapter against a scripted ctrl_tcp server: commands, timeouts, bad input, reconnects."""

import json

import pytest
from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QTcpServer

from hangup_coach.core.callers import EndedBy
from hangup_coach.core.events import EventKind, LineCall
from hangup_coach.telephony.backoff import Backoff
from hangup_coach.telephony.baresip import BaresipSoftphone
from hangup_coach.telephony.factory import softphone_from_url
from hangup_coach.telephony.jsonsource import JsonSocketSoftphone
from hangup_coach.telephony.netstring import NetstringDecoder, encode
from sip_harness import free_port

CALL = "1-77@127.0.0.1"
PEER = "sip:13800138000@127.0.0.1"


def frame(obj) -> bytes:
    return encode(json.dumps(obj).encode())


def call_event(kind, param="", call_id=CALL):
    return frame({"event": True, "type": kind, "class": "call", "direction": "incoming", "peeruri": PEER,
                  "id": call_id, "param": param})


class FakeCtrlTcp(QTcpServer):
    """Speaks ctrl_tcp like baresip: one client, netstring JSON; `replies` says what each command gets
    (a missing command gets no reply at all)."""

    def __init__(self):
        super().__init__()
        assert self.listen(QHostAddress.LocalHost, 0)
        self.port = self.serverPort()
        self.client = None
        self.commands: list[dict] = []
        self.replies: dict[str, tuple[bool, str]] = {"listcalls": (True, "\n--- Active calls (0) ---\n\n"),
                                                     "callfind": (True, "setting current call: the one asked for\n")}
        self.on_command = {}   # command → function(command) run before replying (to send events, as baresip does)
        self.newConnection.connect(self._accept)

    def _accept(self):
        if self.client is not None:
            self.client.abort()   # like baresip: the newest client wins
        self.client = self.nextPendingConnection()
        decoder = NetstringDecoder()
        self.client.readyRead.connect(lambda c=self.client: self._read(c, decoder))

    def _read(self, client, decoder):
        for payload in decoder.feed(client.readAll().data()):
            command = json.loads(payload)
            self.commands.append(command)
            if command["command"] in self.on_command:
                self.on_command[command["command"]](command)
            if command["command"] in self.replies:
                ok, data = self.replies[command["command"]]
                client.write(frame({"response": True, "ok": ok, "data": data, "token": command["token"]}))

    def send(self, data: bytes):
        self.client.write(data)

    def drop(self):
        self.client.disconnectFromHost()
        self.client = None


@pytest.fixture
def fake(qtbot):
    server = FakeCtrlTcp()
    yield server
    server.close()


@pytest.fixture
def adapter(qtbot, fake):
    phone = BaresipSoftphone("127.0.0.1", fake.port, command_timeout=0.3, backoff=Backoff(0.05, 0.2))
    phone.events, phone.failures, phone.statuses, phone.snapshots = [], [], [], []
    phone.event.connect(phone.events.append)
    phone.line_calls.connect(phone.snapshots.append)
    phone.command_failed.connect(lambda cmd, why: phone.failures.append((cmd, why)))
    phone.status_changed.connect(lambda state, detail: phone.statuses.append((state, detail)))
    phone.start()
    qtbot.waitUntil(lambda: phone.state == "online" and bool(fake.commands), timeout=3000)
    yield phone
    phone.stop()


def ring_and_answer(qtbot, fake, adapter):
    fake.send(call_event("CALL_INCOMING", PEER) + call_event("CALL_ESTABLISHED", PEER))
    qtbot.waitUntil(lambda: len(adapter.events) == 2, timeout=3000)


def test_on_connect_it_sets_nodelay_and_asks_for_the_open_calls(qtbot, adapter, fake):
    assert adapter._socket.socketOption(QAbstractSocket.LowDelayOption) == 1
    assert [c["command"] for c in fake.commands] == ["listcalls"]
    assert adapter.statuses[-1][0] == "online"
    qtbot.waitUntil(lambda: adapter.snapshots == [[]], timeout=2000)   # the line has no call


def test_a_command_without_a_reply_is_reported(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    adapter.hang_up(CALL)                       # the fake never answers `hangup`
    qtbot.waitUntil(lambda: bool(adapter.failures), timeout=2000)
    assert adapter.failures == [("hangup", "no reply from baresip within 0.3 s")]
    fake.send(call_event("CALL_CLOSED", "Connection reset by peer"))   # so the line's word counts again
    qtbot.waitUntil(lambda: len(adapter.events) == 3, timeout=2000)
    assert adapter.events[-1].ended_by is EndedBy.CUSTOMER


def test_replies_are_matched_by_token_and_a_refusal_is_reported(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    fake.replies["accept"] = (False, "no incoming call\n")
    adapter.answer(CALL)
    qtbot.waitUntil(lambda: bool(adapter.failures), timeout=2000)
    assert adapter.failures == [("accept", "no incoming call")]
    assert [(c["command"], c.get("params")) for c in fake.commands[-2:]] == [("callfind", CALL), ("accept", None)]
    tokens = [c["token"] for c in fake.commands]
    assert len(set(tokens)) == len(tokens)


def test_answer_selects_the_call_by_id_and_asks_again_when_baresip_only_held_the_other(qtbot, adapter, fake):
    """baresip 1.0 with two calls ringing: the first `accept` only puts the other call on hold."""
    fake.send(call_event("CALL_INCOMING", call_id="a") + call_event("CALL_INCOMING", call_id="b"))
    qtbot.waitUntil(lambda: len(adapter.events) == 2, timeout=2000)
    accepts = []

    def accept(_command):
        accepts.append(1)
        if len(accepts) == 2:   # the second accept answers: SDP events come before the reply
            fake.send(call_event("CALL_REMOTE_SDP", "offer", call_id="a") + call_event("CALL_LOCAL_SDP", "answer", call_id="a"))
    fake.on_command["accept"] = accept
    fake.replies["accept"] = (True, "sip:agent@127.0.0.1: Answering incoming call\n")
    adapter.answer("a")
    qtbot.waitUntil(lambda: len(accepts) == 2, timeout=2000)
    qtbot.wait(50)
    assert [(c["command"], c.get("params")) for c in fake.commands[1:]] == [
        ("callfind", "a"), ("accept", None), ("callfind", "a"), ("accept", None)]
    assert adapter.failures == []


def test_a_hangup_for_a_call_baresip_no_longer_has_is_not_sent_and_the_line_is_read_again(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    fake.replies["callfind"] = (True, f"call not found (id={CALL})\n")
    fake.replies["hangup"] = (True, "")
    adapter.hang_up(CALL)
    qtbot.waitUntil(lambda: len(adapter.snapshots) == 2, timeout=2000)
    assert "hangup" not in [c["command"] for c in fake.commands]      # it would have ended another call
    assert adapter.failures == [("hangup", "the call is no longer on the line")]
    assert adapter.snapshots[-1] == []


def test_an_accepted_hangup_ends_the_call_as_the_agents(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    fake.replies["hangup"] = (True, "")
    adapter.hang_up(CALL)
    qtbot.waitUntil(lambda: len(adapter.events) == 3, timeout=2000)
    assert (adapter.events[-1].kind, adapter.events[-1].ended_by) == (EventKind.ENDED, EndedBy.AGENT)
    adapter.hang_up(CALL)                       # a late second click must not reach baresip
    assert [c["command"] for c in fake.commands].count("hangup") == 1


def test_bad_frames_are_skipped_without_dropping_the_connection(qtbot, adapter, fake):
    fake.send(b"abc:junk," + b"10485760:{}," + frame([1, 2]) + encode(b"\xff\xfe") + frame({"event": True})
              + frame({"event": True, "type": "CALL_MARTIAN", "id": CALL}) + b"5:tooshort," + call_event("CALL_INCOMING"))
    qtbot.waitUntil(lambda: bool(adapter.events), timeout=2000)
    assert [e.kind for e in adapter.events] == [EventKind.RINGING]   # the martian event rang nothing
    assert [s for s, _d in adapter.statuses].count("offline") == 0


def test_a_dropped_connection_reconnects_and_reports_that_the_line_has_no_call(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    fake.drop()
    qtbot.waitUntil(lambda: adapter.state == "offline", timeout=2000)
    assert "another program connected to ctrl_tcp" in adapter.statuses[-1][1]
    assert len(adapter.events) == 2             # the call is not lost because the link is
    qtbot.waitUntil(lambda: adapter.state == "online", timeout=2000)
    qtbot.waitUntil(lambda: len(adapter.snapshots) == 2, timeout=2000)
    assert adapter.snapshots[-1] == []           # the coach closes the call; the adapter forgets it
    adapter.hang_up(CALL)
    assert "hangup" not in [c["command"] for c in fake.commands]


def test_after_a_reconnect_each_listed_call_is_read_with_its_id_and_can_be_ended(qtbot, adapter, fake):
    """As after a restart of the card: the adapter knows nothing, baresip has a call up."""
    fake.replies["listcalls"] = (True, f"\n--- Active calls (1) ---\n> [line 1]  0:00:03  ESTABLISHED  {PEER}\n\n")
    fake.replies["line"] = (True, "setting current call: line 1\n")
    fake.replies["callstat"] = (True, f"\n===== Call debug (ESTABLISHED) =====\n peer_uri:  Customer <{PEER}>\n"
                                      f" af=AF_INET id={CALL}\n direction: Incoming\n")
    fake.drop()
    qtbot.waitUntil(lambda: adapter.state == "online" and len(adapter.snapshots) == 2, timeout=3000)
    assert adapter.snapshots[-1] == [LineCall(CALL, "13800138000", answered=True, connected_for=3)]   # listcalls 0:00:03
    assert [(c["command"], c.get("params")) for c in fake.commands[-3:]] == [
        ("listcalls", None), ("line", "1"), ("callstat", None)]
    fake.replies["hangup"] = (True, "")
    adapter.hang_up(CALL)                        # re-attached: F9 reaches baresip
    qtbot.waitUntil(lambda: bool(adapter.events), timeout=2000)
    assert (adapter.events[-1].kind, adapter.events[-1].ended_by) == (EventKind.ENDED, EndedBy.AGENT)


def test_commands_while_offline_fail_at_once(qtbot, adapter, fake):
    ring_and_answer(qtbot, fake, adapter)
    fake.close()
    fake.drop()
    qtbot.waitUntil(lambda: adapter.state == "offline", timeout=2000)
    adapter.hang_up(CALL)
    assert adapter.failures == [("hangup", f"baresip at 127.0.0.1:{fake.port} is offline")]


def test_baresip_not_running_is_offline_with_growing_capped_retries(qtbot):
    phone = BaresipSoftphone("127.0.0.1", free_port(), backoff=Backoff(0.02, 0.08))
    details = []
    phone.status_changed.connect(lambda state, detail: details.append((state, detail)))
    phone.start()
    try:
        qtbot.waitUntil(lambda: len(details) >= 6, timeout=3000)
    finally:
        phone.stop()
    assert details[0][0] == "connecting"
    retries = [d for s, d in details[1:6]]
    assert all(s == "offline" for s, _d in details[1:6]) and "cannot reach baresip" in retries[0]
    assert [d.rsplit("retrying in ", 1)[1] for d in retries] == ["0.02 s", "0.04 s", "0.08 s", "0.08 s", "0.08 s"]


@pytest.mark.parametrize("url, kind", [("baresip://127.0.0.1:4444", BaresipSoftphone),
                                       ("json://127.0.0.1:7070", JsonSocketSoftphone),
                                       ("json://localhost:7070", JsonSocketSoftphone)])
def test_factory_builds_the_adapter_for_a_url(qtbot, url, kind):
    phone = softphone_from_url(url)
    assert isinstance(phone, kind) and phone.port in (4444, 7070)


@pytest.mark.parametrize("url, says", [
    ("sip://127.0.0.1:5060", "unknown softphone"), ("127.0.0.1:4444", "unknown softphone"), ("", "unknown softphone"),
    ("baresip://127.0.0.1", "needs a host and a port"), ("baresip://127.0.0.1:70000", "bad port"),
    ("baresip://127.0.0.1:http", "bad port"), ("baresip://pbx example:4444", "bad host"),
    ("json://192.168.1.5:7070", "loopback"), ("baresip://127.0.0.1:4444/path", "more than a host and a port"),
])
def test_factory_refuses_bad_urls_clearly(url, says):
    with pytest.raises(ValueError, match=says):
        softphone_from_url(url)

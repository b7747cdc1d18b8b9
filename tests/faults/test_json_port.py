"""The JSON CTI port is on loopback, where every program on the machine (a web page too) can reach it:
only a bridge with the token gets calls onto the card, and a flood of idle sockets cannot take it over."""

import json
import socket
import subprocess
import sys

from hangup_coach.core.coach import Phase
from hangup_coach.telephony import jsonsource
from hangup_coach.telephony.factory import softphone_from_url

from .conftest import LoopWatch, free_port

RING = b'{"event":"ringing","call_id":"forged","number":"13800138000"}\n'


def bridge(port, token):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(json.dumps({"auth": token}).encode() + b"\n")
    return sock


def closed_by_card(sock, qtbot):
    """True once the card has closed this connection (recv sees end of stream or a reset)."""
    sock.setblocking(False)
    def gone():
        try:
            return sock.recv(1) == b""
        except BlockingIOError:
            return False
        except ConnectionResetError:
            return True
    qtbot.waitUntil(gone, timeout=3000)
    return True


def test_a_browser_post_cannot_put_a_call_on_the_card(qtbot, open_desk, tmp_path):
    port = free_port()
    desk = open_desk(tmp_path / "calls.db", softphone_from_url(f"json://127.0.0.1:{port}", token="s3cret-token-for-tests"))
    softphone = desk.controller.softphone
    statuses = []
    softphone.status_changed.connect(lambda state, detail: statuses.append((state, detail)))
    qtbot.waitUntil(lambda: softphone.state == "connecting", timeout=3000)
    body = RING * 3
    post = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
    for attack in (post, b'{"auth": "guessed"}\n' + RING, RING, b"POST / HTTP/1.1"):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(attack)
            assert closed_by_card(sock, qtbot)
    qtbot.wait(100)
    assert desk.controller.current is None and softphone.state == "connecting"
    assert all(state == "connecting" for state, _ in statuses)          # never "online" for an intruder
    with bridge(port, "s3cret-token-for-tests") as real:                # the real bridge still gets in
        qtbot.waitUntil(lambda: softphone.state == "online", timeout=3000)
        real.sendall(RING.replace(b"forged", b"real"))
        qtbot.waitUntil(lambda: desk.controller.current is not None, timeout=3000)
    assert desk.controller.current.record.line_call_id == "real"
    qtbot.waitUntil(lambda: softphone.state == "connecting", timeout=3000)   # the bridge left: said so
    assert statuses[-1] == ("connecting", f"listening on 127.0.0.1:{port}; no CTI bridge is connected")


FLOOD = """
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
    except OSError:
        pass
print(len(socks), flush=True)
time.sleep(60)
"""


def test_a_thousand_idle_connections_leave_the_card_working(qtbot, open_desk, tmp_path):
    port = free_port()
    desk = open_desk(tmp_path / "calls.db", softphone_from_url(f"json://127.0.0.1:{port}", token="s3cret-token-for-tests"))
    softphone = desk.controller.softphone
    qtbot.waitUntil(lambda: softphone.state == "connecting", timeout=3000)
    watch = LoopWatch()
    flood = subprocess.Popen([sys.executable, "-c", FLOOD, str(port), "1000"], stdout=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: _ready(flood), timeout=30_000)
        qtbot.wait(300)                                          # let the card accept and drop them
        assert len(softphone._unproven) <= jsonsource.MAX_UNPROVEN   # it holds a few, not a thousand
        assert softphone.state == "connecting"                   # idle sockets are not a bridge
        with bridge(port, "s3cret-token-for-tests") as real:     # a new bridge connects at once
            qtbot.waitUntil(lambda: softphone.state == "online", timeout=3000)
            real.sendall(b'{"event":"ringing","call_id":"c1","number":"13800138000"}\n'
                         b'{"event":"answered","call_id":"c1"}\n')
            qtbot.waitUntil(lambda: desk.controller.current is not None
                            and desk.controller.current.phase is Phase.TALKING, timeout=3000)
            assert desk.card.number.text() == "138****8000"
    finally:
        flood.kill()
        flood.wait()
        watch.stop()
    assert watch.longest < 1.0 and watch.ticks > 5


def _ready(proc):
    """The flood process has opened its connections (it prints how many)."""
    if not hasattr(proc, "_count"):
        import select
        if select.select([proc.stdout], [], [], 0)[0]:
            proc._count = int(proc.stdout.readline())
        else:
            return False
    return proc._count > 900


def test_idle_unauthenticated_connections_are_closed(qtbot, open_desk, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonsource, "AUTH_TIMEOUT_S", 0.3)
    port = free_port()
    desk = open_desk(tmp_path / "calls.db", softphone_from_url(f"json://127.0.0.1:{port}", token="s3cret-token-for-tests"))
    with socket.create_connection(("127.0.0.1", port)) as idle:
        assert closed_by_card(idle, qtbot)
    assert desk.controller.softphone._unproven == {}

"""A generic CTI source: the card listens on a loopback port, a bridge writes JSON lines to it.

The format is in json_events and docs/softphones.md. The bridge only reports; it cannot be told to
answer or hang up, so the card records the agent's hang-up itself.

Anyone on the machine can connect to a loopback port, a web page too (a browser POSTs to
127.0.0.1 on request). So a bridge must first send the token (`{"auth": "<token>"}`, from its own
0600 file, app/settings.cti_token); a connection that sends anything else first, an HTTP request
line above all, is closed. At most MAX_UNPROVEN connections may wait to authenticate (the oldest is
dropped for a new one, so a flood of idle sockets cannot lock the bridge out), each for AUTH_TIMEOUT_S;
at most MAX_BRIDGES are served; a bridge silent for IDLE_TIMEOUT_S is dropped (it reconnects).

A bridge may send a backlog at once (thousands of lines in one read). Lines are queued and handled
in slices of at most SLICE_S, with the event loop turning between slices: the card keeps drawing,
the sweep keeps running and new connections are accepted while a burst is worked through.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import dataclasses
import time
from collections import Counter, deque

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QHostAddress, QTcpServer, QTcpSocket

from ..core.events import CallEvent, EventKind, LineCall
from .backoff import Backoff
from .base import Softphone
from .json_events import LineSplitter, parse_line
from .jsonpayload import BadMessage

log = logging.getLogger(__name__)

MAX_UNPROVEN = 8
MAX_BRIDGES = 4
AUTH_TIMEOUT_S = 5.0
IDLE_TIMEOUT_S = 600.0     # a bridge sends a blank line at least every few minutes when there are no calls
SLICE_S = 0.01             # lines are handled for at most this long before the event loop turns again
_HTTP = re.compile(rb"^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT|TRACE)\s|\sHTTP/\d", re.I)


class JsonSocketSoftphone(Softphone):
    can_answer = False
    can_hang_up = False

    def __init__(self, host: str, port: int, parent: QObject | None = None, backoff: Backoff | None = None,
                 token: str | None = None) -> None:
        super().__init__(parent)
        self.host, self.port = host, port
        self.token = token or secrets.token_urlsafe(32)   # never logged
        self._backoff = backoff or Backoff(0.5, 5.0)
        self._server: QTcpServer | None = None
        self._bridges: dict[QTcpSocket, LineSplitter] = {}   # authenticated
        self._unproven: dict[QTcpSocket, tuple[LineSplitter, float]] = {}   # connected at (monotonic)
        self._last_heard: dict[QTcpSocket, float] = {}
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self._listen)
        self._sweep = QTimer(self, interval=1000)
        self._sweep.timeout.connect(self._drop_idle)
        self._lines: deque[bytes] = deque()     # read, not parsed yet (a burst is worked through in slices)
        self._live: deque[CallEvent] = deque()  # parsed events of calls not known to be over
        self._over: deque[CallEvent] = deque()  # parsed events of calls whose end is read too (backlog)
        self._ending: Counter[str] = Counter()  # call id → its `ended` events waiting in _over
        self._barrier: list[LineCall] | None = None   # a `calls` list, handled once all before it is
        self._slice = QTimer(self, singleShot=True, interval=0)
        self._slice.timeout.connect(self._handle_slice)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._retry.stop()
        self._sweep.stop()
        self._slice.stop()
        self._lines.clear(), self._live.clear(), self._over.clear(), self._ending.clear()
        self._barrier = None
        for sock in list(self._bridges) + list(self._unproven):
            self._drop(sock)
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        self._set_state("offline", "stopped")

    def answer(self, line_call_id: str) -> None:
        self.command_failed.emit("accept", "the JSON source cannot answer calls")

    def hang_up(self, line_call_id: str) -> None:
        self.command_failed.emit("hangup", "the JSON source cannot end calls")

    def _listen(self) -> None:
        server = QTcpServer(self)
        address = QHostAddress(QHostAddress.LocalHost) if self.host == "localhost" else QHostAddress(self.host)
        if not server.listen(address, self.port):
            delay = self._backoff.next()
            detail = f"cannot listen on {self.where} ({server.errorString()}); retrying in {delay:g} s"
            log.warning("%s", detail)
            server.deleteLater()
            self._set_state("offline", detail)
            self._retry.start(round(delay * 1000))
            return
        self._backoff.reset()
        server.newConnection.connect(self._accept)
        self._server = server
        self._sweep.start()
        log.info("JSON event source listening on %s", self.where)
        self._report()

    def _accept(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if len(self._unproven) >= MAX_UNPROVEN:   # make room: the oldest waiting one goes
                oldest = min(self._unproven, key=lambda s: self._unproven[s][1])
                self._refuse(oldest, "too many connections waiting to authenticate")
            self._unproven[sock] = (LineSplitter(), time.monotonic())
            sock.readyRead.connect(self._read)        # bound slots: Qt drops them with this object
            sock.disconnected.connect(self._on_disconnected)

    def _read(self) -> None:
        sock = self.sender()
        if sock in self._unproven:
            splitter = self._unproven[sock][0]
            lines = splitter.feed(sock.readAll().data())
            if not lines:
                if splitter.buffered and _HTTP.match(splitter.head(64)):
                    self._refuse(sock, "an HTTP request (a web page?) is not a CTI bridge")
                return
            if not self._authenticate(sock, lines[0]):
                return
            lines = lines[1:]
        else:
            splitter = self._bridges.get(sock)
            if splitter is None:
                return
            lines = splitter.feed(sock.readAll().data())
        self._last_heard[sock] = time.monotonic()
        if lines:
            self._lines.extend(lines)
            if not self._slice.isActive():
                self._slice.start()

    @property
    def backlog(self) -> int:
        """Lines read but not handled yet."""
        return len(self._lines) + len(self._live) + len(self._over)

    def _handle_slice(self) -> None:
        """Work for at most SLICE_S, then let the event loop turn (and come back).

        Lines are parsed ahead of handling. An event of a call whose `ended` is already read is
        backlog (the call is over): live calls' events go first, so a call ringing now is on the card
        within a slice or two of being read, however long the backlog before it; the backlog follows,
        each call's events in order, marked so that they never move the focus. A `calls` list is a
        barrier: everything read before it is handled before it."""
        deadline = time.monotonic() + SLICE_S
        rings: list[str] = []
        while self._lines and self._barrier is None and time.monotonic() < deadline:
            event = self._parse(self._lines.popleft())
            if event is not None and event.kind is EventKind.RINGING and event.number:
                rings.append(event.number)
        if rings:
            self.rings_ahead.emit(rings)
        while time.monotonic() < deadline:
            if self._live:
                self.event.emit(self._live.popleft())
            elif self._over:
                event = self._over.popleft()
                if event.kind is EventKind.ENDED:
                    self._ending[event.call_id] -= 1
                    if not self._ending[event.call_id]:
                        del self._ending[event.call_id]
                self.event.emit(dataclasses.replace(event, backlog=True))
            elif self._barrier is not None:
                calls, self._barrier = self._barrier, None
                self.line_calls.emit(calls)   # the bridge's live calls: the card reconciles
            else:
                break
        if self._lines or self._live or self._over or self._barrier is not None:
            self._slice.start()

    def _parse(self, line: bytes) -> CallEvent | None:
        try:
            message = parse_line(line)
        except BadMessage as exc:
            log.warning("skipping CTI line: %s (%d bytes)", exc, len(line))   # its content may hold numbers
            return None
        if isinstance(message, list):
            self._barrier = message
            return None
        if message.kind is EventKind.ENDED:
            self._ending[message.call_id] += 1
            # this call is over: its events still waiting go with it, behind the live calls
            waiting = [e for e in self._live if e.call_id == message.call_id] if self._live else []
            if waiting:
                self._live = deque(e for e in self._live if e.call_id != message.call_id)
                self._over.extend(waiting)
            self._over.append(message)
        elif message.call_id in self._ending:
            self._over.append(message)   # after its end: the coach ignores it, in order
        else:
            self._live.append(message)
        return message

    def _authenticate(self, sock: QTcpSocket, first: bytes) -> bool:
        if _HTTP.match(first):
            self._refuse(sock, "an HTTP request (a web page?) is not a CTI bridge")
            return False
        try:
            given = json.loads(first.decode("utf-8")).get("auth")
        except (ValueError, AttributeError):
            given = None
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), self.token.encode()):
            self._refuse(sock, "its first line was not the CTI token")
            return False
        if len(self._bridges) >= MAX_BRIDGES:
            self._refuse(sock, f"{MAX_BRIDGES} CTI bridges are already connected")
            return False
        del self._unproven[sock]
        self._bridges[sock] = LineSplitter()
        log.info("CTI bridge connected from port %d", sock.peerPort())
        self._report()
        return True

    def _refuse(self, sock: QTcpSocket, why: str) -> None:
        log.warning("closed a connection to %s: %s", self.where, why)
        self._drop(sock)

    def _drop_idle(self) -> None:
        now = time.monotonic()
        for sock, (_splitter, since) in list(self._unproven.items()):
            if now - since > AUTH_TIMEOUT_S:
                self._refuse(sock, f"no CTI token within {AUTH_TIMEOUT_S:g} s")
        for sock in list(self._bridges):
            if now - self._last_heard.get(sock, now) > IDLE_TIMEOUT_S:
                self._refuse(sock, f"CTI bridge silent for {IDLE_TIMEOUT_S:g} s")

    def _on_disconnected(self) -> None:
        self._drop(self.sender())

    def _drop(self, sock: QTcpSocket) -> None:
        was_bridge = self._bridges.pop(sock, None) is not None
        if not was_bridge and self._unproven.pop(sock, None) is None:
            return
        self._last_heard.pop(sock, None)
        sock.abort()
        sock.deleteLater()
        if was_bridge:
            self._report()

    def _report(self) -> None:
        """online while an authenticated bridge is connected; connecting while the port waits for one."""
        if self._bridges:
            self._set_state("online", f"CTI bridge connected to {self.where}")
        else:
            self._set_state("connecting", f"listening on {self.where}; no CTI bridge is connected")

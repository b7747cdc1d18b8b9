"""baresip as the agent's softphone, through its ctrl_tcp module (netstring JSON on a TCP port).

Runs in the GUI thread on QTcpSocket signals; nothing here blocks. The adapter owns baresip's only
ctrl_tcp connection (baresip drops the older client when another connects), reconnects with
backoff when baresip is down or restarts, and after each reconnect asks `listcalls` to end the
calls that vanished meanwhile. Who hung up is decided in baresip_events, from the line's own words.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QAbstractSocket, QTcpSocket

from .backoff import Backoff
from .baresip_events import CallTracker, LineEvent, Reply, listed_peers, parse_message
from .base import Softphone
from .jsonpayload import BadMessage
from .netstring import NetstringDecoder, encode

log = logging.getLogger(__name__)

STABLE_AFTER_MS = 5000  # a connection that held this long resets the backoff


class BaresipSoftphone(Softphone):
    can_answer = True
    can_hang_up = True

    def __init__(self, host: str, port: int, parent: QObject | None = None,
                 command_timeout: float = 2.0, backoff: Backoff | None = None) -> None:
        super().__init__(parent)
        self.host, self.port, self.command_timeout = host, port, command_timeout
        self._backoff = backoff or Backoff(0.5, 5.0)
        self._socket: QTcpSocket | None = None
        self._online = False
        self._decoder = NetstringDecoder()
        self._tracker = CallTracker()
        self._pending: dict[str, tuple[str, str]] = {}   # token → (command, line call id)
        self._tokens = itertools.count(1)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self._connect)
        self._stable = QTimer(self, singleShot=True, interval=STABLE_AFTER_MS)
        self._stable.timeout.connect(self._backoff.reset)

    @property
    def where(self) -> str:
        return f"baresip at {self.host}:{self.port}"

    # ----- life ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._set_state("connecting", self.where)
        self._connect()

    def stop(self) -> None:
        self._retry.stop()
        self._stable.stop()
        self._close_socket()
        self._fail_pending("softphone stopped")
        self._set_state("offline", "stopped")

    def _connect(self) -> None:
        sock = QTcpSocket(self)
        # Bound slots (not lambdas): Qt drops them with this object, so a dying socket cannot call back.
        sock.connected.connect(self._on_connected)
        sock.readyRead.connect(self._on_ready_read)
        sock.errorOccurred.connect(self._on_lost)
        sock.disconnected.connect(self._on_lost)
        self._socket = sock
        sock.connectToHost(self.host, self.port)

    def _on_connected(self) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return
        sock.setSocketOption(QAbstractSocket.LowDelayOption, 1)   # TCP_NODELAY for our commands
        _quickack(sock)
        self._online = True
        self._decoder.reset()
        self._stable.start()
        self._set_state("online", self.where)
        log.info("connected to %s", self.where)
        self._send("listcalls")  # reconcile the calls we think open with what baresip has

    def _on_lost(self, *_error) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return  # already handled (errorOccurred and disconnected both fire)
        was_online, why = self._online, sock.errorString()
        self._close_socket()
        self._stable.stop()
        self._fail_pending("connection to baresip lost")
        delay = self._backoff.next()
        if was_online:
            detail = (f"{self.where} closed the connection ({why}): baresip stopped or restarted, or another "
                      f"program connected to ctrl_tcp (baresip serves one client at a time); retrying in {delay:g} s")
            log.warning("%s", detail)
        else:
            detail = f"cannot reach {self.where} ({why}); retrying in {delay:g} s"
            log.info("%s", detail)
        self._set_state("offline", detail)
        self._retry.start(round(delay * 1000))

    def _close_socket(self) -> None:
        sock, self._socket, self._online = self._socket, None, False
        if sock is not None:
            sock.abort()
            sock.deleteLater()

    # ----- incoming ----------------------------------------------------------------------------------
    def _on_ready_read(self) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return
        data = sock.readAll().data()
        _quickack(sock)  # without it baresip's back-to-back events after `accept` arrive ~40 ms late
        for payload in self._decoder.feed(data):
            try:
                message = parse_message(payload)
            except BadMessage as exc:
                log.warning("skipping ctrl_tcp message: %s (%r)", exc, payload[:80])
                continue
            if isinstance(message, LineEvent):
                self._emit(self._tracker.on_event(message))
            else:
                self._on_reply(message)

    def _on_reply(self, reply: Reply) -> None:
        pending = self._pending.pop(reply.token, None)
        if pending is None:
            log.debug("reply to an unknown or expired token %r", reply.token)
            return
        command, call_id = pending
        if not reply.ok:
            if command == "hangup":
                self._tracker.hangup_failed(call_id)
            self.command_failed.emit(command, reply.data.strip() or "refused by baresip")
        elif command == "hangup":
            self._emit(self._tracker.hangup_accepted(call_id))
        elif command == "listcalls":
            peers = listed_peers(reply.data)
            if peers is None:
                log.warning("cannot read the listcalls reply %r; open calls not reconciled", reply.data[:120])
            else:
                self._emit(self._tracker.reconcile(peers))

    def _emit(self, events: list) -> None:
        for event in events:
            self.event.emit(event)

    # ----- commands ----------------------------------------------------------------------------------
    def answer(self, line_call_id: str) -> None:
        if line_call_id in self._tracker.open_ids:
            self._send("accept", line_call_id)

    def hang_up(self, line_call_id: str) -> None:
        # baresip 1.0's hangup takes no call id; never let a late click end some other call.
        if line_call_id not in self._tracker.open_ids:
            log.info("hang-up for %s ignored: the call has already ended", line_call_id)
            return
        self._tracker.agent_hangs_up(line_call_id)
        if not self._send("hangup", line_call_id):
            self._tracker.hangup_failed(line_call_id)

    def _send(self, command: str, call_id: str = "") -> bool:
        if self._socket is None or not self._online:
            self.command_failed.emit(command, f"{self.where} is offline")
            return False
        token = f"hc{next(self._tokens)}"
        self._pending[token] = (command, call_id)
        self._socket.write(encode(json.dumps({"command": command, "token": token}).encode()))
        QTimer.singleShot(round(self.command_timeout * 1000), self, lambda: self._timed_out(token))
        return True

    def _timed_out(self, token: str) -> None:
        pending = self._pending.pop(token, None)
        if pending is None:
            return
        command, call_id = pending
        if command == "hangup":
            self._tracker.hangup_failed(call_id)
        log.warning("%s: no reply from %s within %g s", command, self.where, self.command_timeout)
        self.command_failed.emit(command, f"no reply from baresip within {self.command_timeout:g} s")

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for command, call_id in pending.values():
            if command == "hangup":
                self._tracker.hangup_failed(call_id)
            if command != "listcalls":  # our own housekeeping; the agent did not ask for it
                self.command_failed.emit(command, why)


def _quickack(sock: QTcpSocket) -> None:
    """Re-arm TCP_QUICKACK (Linux clears it after use) so our ACKs do not wait for the delayed-ACK timer."""
    option = getattr(socket, "TCP_QUICKACK", None)
    fd = int(sock.socketDescriptor())
    if option is None or fd < 0:
        return
    borrowed = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, fd)
    try:
        borrowed.setsockopt(socket.IPPROTO_TCP, option, 1)
    except OSError as exc:
        log.debug("TCP_QUICKACK not set: %s", exc)
    finally:
        borrowed.detach()  # the descriptor stays Qt's

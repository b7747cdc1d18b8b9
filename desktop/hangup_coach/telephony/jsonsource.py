"""A generic CTI source: the card listens on a loopback port, a bridge writes JSON lines to it.

The format is in json_events and docs/softphones.md. The bridge only reports; it cannot be told to
answer or hang up, so the card records the agent's hang-up itself.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QHostAddress, QTcpServer, QTcpSocket

from .backoff import Backoff
from .base import Softphone
from .json_events import LineSplitter, parse_line
from .jsonpayload import BadMessage

log = logging.getLogger(__name__)


class JsonSocketSoftphone(Softphone):
    can_answer = False
    can_hang_up = False

    def __init__(self, host: str, port: int, parent: QObject | None = None, backoff: Backoff | None = None) -> None:
        super().__init__(parent)
        self.host, self.port = host, port
        self._backoff = backoff or Backoff(0.5, 5.0)
        self._server: QTcpServer | None = None
        self._bridges: dict[QTcpSocket, LineSplitter] = {}
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self._listen)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._retry.stop()
        for sock in list(self._bridges):
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
        log.info("JSON event source listening on %s", self.where)
        self._report()

    def _accept(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._bridges[sock] = LineSplitter()
            sock.readyRead.connect(self._read)        # bound slots: Qt drops them with this object
            sock.disconnected.connect(self._on_disconnected)
            log.info("CTI bridge connected from port %d", sock.peerPort())
            self._report()

    def _read(self) -> None:
        sock = self.sender()
        splitter = self._bridges.get(sock)
        if splitter is None:
            return
        for line in splitter.feed(sock.readAll().data()):
            try:
                event = parse_line(line)
            except BadMessage as exc:
                log.warning("skipping CTI line: %s (%r)", exc, line[:80])
                continue
            self.event.emit(event)

    def _on_disconnected(self) -> None:
        self._drop(self.sender())

    def _drop(self, sock: QTcpSocket) -> None:
        if self._bridges.pop(sock, None) is None:
            return
        sock.abort()
        sock.deleteLater()
        self._report()

    def _report(self) -> None:
        """online while a bridge is connected; connecting while the port waits for one."""
        if self._bridges:
            self._set_state("online", f"CTI bridge connected to {self.where}")
        else:
            self._set_state("connecting", f"listening on {self.where}, waiting for the CTI bridge")

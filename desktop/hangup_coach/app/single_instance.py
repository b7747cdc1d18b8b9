"""One card per user and database: a second launch brings the first card forward and exits."""

from __future__ import annotations

import getpass
import hashlib
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def _server_name(key: str) -> str:
    """Keyed on the database's real path: the same file reached through a symlink is one card."""
    key = os.path.realpath(key)
    digest = hashlib.sha256(f"{getpass.getuser()}|{key}".encode()).hexdigest()[:16]
    return f"hangup-coach-{digest}"


def ask_running_instance_to_show(key: str, timeout_ms: int = 500) -> bool:
    """True if another instance is running (and was asked to show its card)."""
    socket = QLocalSocket()
    socket.connectToServer(_server_name(key))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    show_requested = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.UserAccessOption)
        name = _server_name(key)
        if not self._server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket left by a crash
            self._server.listen(name)
        self._server.newConnection.connect(self._on_connection)

    def _on_connection(self) -> None:
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _read(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll()).strip() == b"show":
            self.show_requested.emit()

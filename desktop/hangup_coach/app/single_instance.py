"""One card per user and database: a second launch brings the first card forward and exits.

Before its first frame a card takes a lock file, which the system releases when the process ends
(a crash too); no Qt networking yet, whose import would hold the first frame back (~8 ms). The card
holding the lock listens on a local socket (QLocalServer) once its first frame is on screen; a
second launch finds the lock taken and asks the first card there to show itself, waiting while
that card is still starting.
"""

from __future__ import annotations

import getpass
import logging
import os
import time
import zlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


def _key(db: str) -> str:
    """Keyed on the database's real path: the same file reached through a symlink is one card.
    A checksum, not a cryptographic hash: it only tells one user's databases apart, and hashlib
    would load OpenSSL's libcrypto (3.5 MiB) into a card that needs nothing else of it."""
    key = f"{getpass.getuser()}|{os.path.realpath(db)}".encode()
    return f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}"


def _server_name(db: str) -> str:
    return f"hangup-coach-{_key(db)}"


class InstanceLock:
    """Held by the one card of a database, in the user's own data folder, until its process ends."""

    def __init__(self, folder: Path, db: str) -> None:
        self.path = folder / f"card-{_key(db)}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True: this is the database's only card (or the lock cannot be made: the card starts,
        and the folder's trouble shows where it matters). False: another card holds it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)   # not inherited by child processes
        except OSError as exc:
            log.warning("cannot make the card's lock file %s: %s", self.path, exc)
            return True
        try:
            if os.name == "nt":
                import msvcrt
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd   # open, and so locked, until the process ends (or release())
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    __del__ = release   # run_card's lock ends with it, also when the card runs in a process that goes on


def ask_running_instance_to_show(db: str, wait_s: float = 10.0) -> bool:
    """Ask the card holding the lock to show itself; it listens once its first frame is painted, so
    a card still starting is waited for. False if it does not answer within `wait_s`."""
    from PySide6.QtNetwork import QLocalSocket

    deadline = time.monotonic() + wait_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(_server_name(db))
        if socket.waitForConnected(500):
            socket.write(b"show\n")
            socket.waitForBytesWritten(500)
            socket.disconnectFromServer()
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


class InstanceServer(QObject):
    """The running card's end of the socket: a second launch's "show" brings its card forward."""

    show_requested = Signal()

    def __init__(self, db: str, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.UserAccessOption)
        name = _server_name(db)
        if not self._server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket left by a crash (this card holds the lock)
            self._server.listen(name)
        self._server.newConnection.connect(self._on_connection)

    def _on_connection(self) -> None:
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _read(self, conn) -> None:
        if bytes(conn.readAll()).strip() == b"show":
            self.show_requested.emit()

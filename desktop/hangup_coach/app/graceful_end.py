"""Ending like Quit does when the system ends the card: SIGTERM (shutdown, `systemctl stop`,
`kill`), SIGHUP (the terminal or the login session closed) and the desktop session's end (Qt's
session manager) save everything pending first.

A Python signal handler runs only between Python bytecodes, and a Qt event loop waiting in C runs
none: the signal is written to a socket (signal.set_wakeup_fd) that Qt watches, so the ending runs
on the GUI thread, in the event loop, at once.
"""

from __future__ import annotations

import logging
import signal
import socket
from typing import Callable

from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

END_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def end_gracefully(app: QApplication, quit_app: Callable[[], None], save_now: Callable[[], None]) -> None:
    """`quit_app` on SIGTERM or SIGHUP; `save_now` when the desktop session is about to end."""
    app.commitDataRequest.connect(lambda _manager: save_now())
    if not END_SIGNALS:   # Windows: the session manager's request is the way the system ends the card
        return
    reader, writer = socket.socketpair()
    for end in (reader, writer):
        end.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for number in END_SIGNALS:
        signal.signal(number, lambda *_: None)   # the default would end the process at once

    def on_signal() -> None:
        try:
            received = reader.recv(64)
        except BlockingIOError:
            return
        log.info("ending on signal %s: saving everything pending",
                 ", ".join(signal.Signals(n).name for n in received if n in END_SIGNALS) or "?")
        quit_app()

    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(on_signal)
    app._graceful_end = (reader, writer, notifier)   # kept alive as long as the app

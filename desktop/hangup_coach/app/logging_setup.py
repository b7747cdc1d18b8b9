"""A rotating log file in the user's log directory, and an uncaught-error path that loses nothing.

A frozen windowed app has `sys.stderr = None`, so the console handler is added only when there
is a console.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Callable

log = logging.getLogger("hangup_coach")
_fault_file = None


def setup_logging(log_file: Path, verbose: bool = False) -> None:
    global _fault_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")]
    if sys.stderr is not None:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        handlers.append(console)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _fault_file = open(log_file.with_suffix(".crash.log"), "a", encoding="utf-8")  # noqa: SIM115 (kept open)
    faulthandler.enable(_fault_file)


def route_qt_messages() -> None:
    """Qt's own warnings go to the log file instead of a console the agent never sees."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qt_log = logging.getLogger("qt")

    def handler(kind, _context, message: str) -> None:
        # The offscreen platform (tests, scripted runs) repeats this for every resize.
        level = logging.DEBUG if "does not support" in message else levels.get(kind, logging.WARNING)
        qt_log.log(level, message)

    qInstallMessageHandler(handler)


def install_excepthook(on_error: Callable[[str], None]) -> None:
    """Log every uncaught error, then tell the agent; the app keeps running."""

    def hook(exc_type, exc, tb) -> None:
        log.critical("uncaught error", exc_info=(exc_type, exc, tb))
        try:
            on_error(f"{exc_type.__name__}: {exc}")
        except Exception:  # the error path itself must never raise
            log.exception("could not show the error")

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)

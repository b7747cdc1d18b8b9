"""A rotating log file in the user's log directory, and an uncaught-error path that loses nothing.

A frozen windowed app has `sys.stderr = None`, so the console handler is added only when there
is a console.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Callable

log = logging.getLogger("hangup_coach")
_fault_file = None


def mask_numbers(text: str) -> str:
    """core.masking's, imported on the first record written (after the card's first frame: ~2 ms)."""
    from ..core.masking import mask_numbers as mask

    return mask(text)


class MaskingFormatter(logging.Formatter):
    """Every log message and traceback with phone numbers masked (the time stamp is left alone)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802
        return mask_numbers(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return mask_numbers(super().formatStack(stack_info))


class _Held(logging.Handler):
    """Records logged before the log file is open; setup_logging writes them there."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def hold_log_records() -> None:
    """Keep what is logged until setup_logging: the card's first frame comes before the log file
    is opened (logging.handlers with its socket and pickle imports is not needed for it)."""
    logging.basicConfig(level=logging.DEBUG, handlers=[_Held()], force=True)


def setup_logging(log_file: Path, verbose: bool = False) -> None:
    """The log and the crash log: 0600 in a 0700 folder (AppPaths.make_private sets the umask; the
    chmod covers files made by an older version), numbers masked."""
    from logging.handlers import RotatingFileHandler

    global _fault_file
    held = [r for h in logging.getLogger().handlers if isinstance(h, _Held) for r in h.records]
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handlers: list[logging.Handler] = [RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")]
    if sys.stderr is not None:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        handlers.append(console)
    formatter = MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=handlers, force=True)
    root = logging.getLogger()
    for record in held:
        if record.levelno >= root.level:
            root.handle(record)
    crash_log = log_file.with_suffix(".crash.log")
    _fault_file = open(crash_log, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
    if os.name == "posix":
        for path in (log_file, crash_log):
            os.chmod(path, 0o600)
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

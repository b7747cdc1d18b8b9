"""Work off the GUI thread, its answer back on the GUI thread, to a window that may be gone by then.

A background thread must not touch a Qt object the GUI thread can delete meanwhile (a window closed
while its request runs): checking that the object still exists and then emitting its signal race
with the deletion, and a thread that holds the last reference to a window deletes it in the wrong
thread. So the thread holds no Qt object at all: it runs `work` and posts the answer, with a
number, to one relay that lives as long as the application; on the GUI thread the relay looks the
number up and hands the answer over only if the window that asked still exists.
"""

from __future__ import annotations

import itertools
import logging
import threading
from concurrent.futures import CancelledError, Future
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    answered = Signal(int, bool, object)   # request number, ok, result or the exception

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.waiting: dict[int, tuple[QObject, Callable[[Any], None], Callable[[Exception], None]]] = {}
        # queued even from the GUI thread: an answer is never handed over inside its asker's call
        self.answered.connect(self._hand_over, Qt.QueuedConnection)

    def _hand_over(self, number: int, ok: bool, value: Any) -> None:
        owner, on_result, on_error = self.waiting.pop(number)
        if not shiboken6.isValid(owner):
            return   # the window closed meanwhile: nobody to tell
        (on_result if ok else on_error)(value)


_numbers = itertools.count(1)


def _relay() -> _Relay:
    app = QCoreApplication.instance()
    relay = app.findChild(_Relay, "off-thread-relay")
    if relay is None:
        relay = _Relay(app)
        relay.setObjectName("off-thread-relay")
    return relay


def _ask(owner: QObject, on_result: Callable[[Any], None], on_error: Callable[[Exception], None]
         ) -> Callable[[bool, Any], None]:
    """Register a request; the returned `answer(ok, value)` may be called from any thread, once."""
    relay, number = _relay(), next(_numbers)
    relay.waiting[number] = (owner, on_result, on_error)
    answered = relay.answered   # the relay lives as long as the application
    return lambda ok, value: answered.emit(number, ok, value)


def run_off_thread(owner: QObject, work: Callable[[], Any], on_result: Callable[[Any], None],
                   on_error: Callable[[Exception], None], name: str) -> None:
    """From the GUI thread: run `work()` on a thread of its own; then, on the GUI thread and only
    while `owner` exists, `on_result(value)` or `on_error(exception)`. `work` must hold no Qt object."""
    answer = _ask(owner, on_result, on_error)

    def run() -> None:
        try:
            value, ok = work(), True
        except Exception as exc:  # handed to on_error on the GUI thread
            value, ok = exc, False
        answer(ok, value)

    threading.Thread(target=run, name=name, daemon=True).start()


def when_done(owner: QObject, future: Future, on_result: Callable[[Any], None],
              on_error: Callable[[BaseException], None]) -> None:
    """From the GUI thread: once `future` (running on a worker that holds no Qt object) is done, on
    the GUI thread and only while `owner` exists, `on_result(its result)` or `on_error(its
    exception)`. The future's callback holds only the relay's signal, never `owner`."""
    answer = _ask(owner, on_result, on_error)

    def done(finished: Future) -> None:
        if finished.cancelled():
            answer(False, CancelledError())
        elif finished.exception() is not None:
            answer(False, finished.exception())
        else:
            answer(True, finished.result())

    future.add_done_callback(done)

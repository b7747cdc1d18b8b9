"""The review window's disk and network, off the GUI thread.

A reviewer does hundreds of calls: the window must answer every key at once, also while the
database is locked by the card's sync or a slow share holds up a recording. So the window hands
its work over and hears back by Qt signals (queued to its thread):

- saves, in order, by one thread that owns its own connection to the database (BEGIN IMMEDIATE
  with a long busy timeout: a locked file makes a save wait, never fail); each answer carries the
  batch's reviews as they now are on disk;
- recording look-ups (a folder listing, a sndfile mix, a download from the server) by another
  thread, so a slow one never holds back a save. Each answer names the call it is for: the window
  ignores one for a call it has left.

Nothing here touches a widget. `close()` lets the queued saves finish (Python joins these threads
at exit) and never waits for them; the worker keeps itself alive until they are done, then is
deleted on the GUI thread (never by Python's garbage collector in a worker thread).
"""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ..core.qa_form import Form, FormError
from ..store import qa as qa_store
from ..store.db import BACKGROUND_BUSY_TIMEOUT_MS, StoreError, connect

log = logging.getLogger(__name__)
_CLOSING: set["ReviewWorker"] = set()       # closed workers whose threads still finish their work


class ReviewWorker(QObject):
    saved = Signal(str, str, object)          # call id, review id, {call id: review} of the batch on disk
    save_failed = Signal(str, str)            # call id, why (the window keeps the answers on screen)
    recording_found = Signal(str, object)     # call id, app.recordings.Recording | NoRecording
    finished = Signal()                       # after close(): every queued job is done

    def __init__(self, database: Path, batch_id: str, find: Callable[[dict], object],
                 busy_timeout_ms: int = BACKGROUND_BUSY_TIMEOUT_MS) -> None:
        super().__init__()
        self.database, self.batch_id, self.find, self.busy_timeout_ms = database, batch_id, find, busy_timeout_ms
        self._db = None                                    # the writer thread's own connection
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="qa-review-save")
        self._finder = ThreadPoolExecutor(1, thread_name_prefix="qa-review-recording")
        self._closed = False

    # ----- from the GUI thread ------------------------------------------------------------------
    def save(self, call, form: Form, reviewer_id: str, answers: dict, now: str) -> None:
        if not self._closed:
            self._writer.submit(self._save, call, form, reviewer_id, dict(answers), now)

    def find_recording(self, call: dict) -> None:
        if not self._closed:
            self._finder.submit(self._find, dict(call))

    def close(self) -> None:
        """No more work; what is queued is still done (and its connection closed), without waiting."""
        if self._closed:
            return
        self._closed = True
        _CLOSING.add(self)
        self.finished.connect(self._forget)           # queued: runs on the GUI thread
        self._finder.shutdown(wait=False, cancel_futures=True)
        self._writer.submit(self._wind_up)
        self._writer.shutdown(wait=False)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Tools and tests: block until what was handed over is done."""
        self._writer.submit(lambda: None).result(timeout)
        self._finder.submit(lambda: None).result(timeout)

    # ----- in the worker threads ----------------------------------------------------------------
    def _save(self, call, form: Form, reviewer_id: str, answers: dict, now: str) -> None:
        try:
            if self._db is None:
                self._db = connect(self.database, self.busy_timeout_ms)
            review_id = qa_store.save_review(self._db, self.batch_id, call, form, reviewer_id, answers, now)
            reviews = qa_store.reviews(self._db, self.batch_id)
        except (FormError, StoreError, sqlite3.Error, OSError) as exc:
            log.warning("a review of call %s was not saved: %s", call.call_id, exc)
            self._emit(self.save_failed, call.call_id, str(exc))
            return
        self._emit(self.saved, call.call_id, review_id, reviews)

    def _find(self, call: dict) -> None:
        try:
            found = self.find(call)
        except Exception as exc:   # a look-up must never take the window down; it says why instead
            from .recordings import NoRecording
            log.warning("looking up call %s's recording failed: %s", call.get("id"), exc)
            found = NoRecording("rec_unreadable", str(exc))
        self._emit(self.recording_found, call.get("id", ""), found)

    def _wind_up(self) -> None:
        self._finder.shutdown(wait=True)              # a look-up under way ends first
        if self._db is not None:
            self._db.conn.close()
            self._db = None
        self._emit(self.finished)

    def _forget(self) -> None:
        _CLOSING.discard(self)
        self.deleteLater()

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:   # the window (and this object) are gone: nobody is listening any more
            pass

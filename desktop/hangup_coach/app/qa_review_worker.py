"""The review window's disk and network, off the GUI thread.

A reviewer does hundreds of calls: the window must answer every key at once, also while the
database is locked by the card's sync or a slow share holds up a recording. So the window hands
its work to threads (app/off_thread.py: they hold no Qt object; the answers come back on the GUI
thread, only while the window exists):

- reading the batch when the window opens (the batch, its calls, the reviews made on this PC);
- saves, in the order they were asked for (a turnstile: each waits for the one before it), each
  on a connection of its own with a long busy timeout (a locked file makes a save wait, never
  fail); each answer carries the batch's reviews as they now are on disk;
- recording look-ups (a folder listing, a sndfile mix, a download from the server), apart from
  the saves, so a slow one never holds one back.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.qa_form import Form
from ..store import qa as qa_store
from ..store.db import BACKGROUND_BUSY_TIMEOUT_MS, connect
from .off_thread import run_off_thread


class Turnstile:
    """Work tickets taken on the GUI thread, done in their order by whichever threads run them."""

    def __init__(self) -> None:
        self._tickets = itertools.count()
        self._serving = 0
        self._turn = threading.Condition()

    def ticket(self) -> int:
        return next(self._tickets)

    def run(self, ticket: int, work: Callable[[], object]):
        with self._turn:
            self._turn.wait_for(lambda: self._serving == ticket)
        try:
            return work()
        finally:
            with self._turn:
                self._serving += 1
                self._turn.notify_all()


@dataclass
class ReviewWorker:
    """What the window's threads need, as plain data (no Qt object)."""
    database: Path
    batch_id: str
    find: Callable[[dict], object]        # a call → app.recordings.Recording | NoRecording
    busy_timeout_ms: int = BACKGROUND_BUSY_TIMEOUT_MS

    def __post_init__(self) -> None:
        self.turns = Turnstile()

    def load(self, owner, on_loaded: Callable[[tuple], None], on_failed: Callable[[Exception], None]) -> None:
        """Read the batch; later, on the GUI thread: on_loaded((batch | None, [BatchCall], {call id: review}))."""
        database, batch_id, timeout = self.database, self.batch_id, self.busy_timeout_ms

        def work():
            db = connect(database, timeout)
            try:
                return qa_store.batch(db, batch_id), qa_store.batch_calls(db, batch_id), qa_store.reviews(db, batch_id)
            finally:
                db.conn.close()
        run_off_thread(owner, work, on_loaded, on_failed, name="qa-review-load")

    def save(self, owner, call, form: Form, reviewer_id: str, answers: dict, now: str,
             on_saved: Callable[[tuple], None], on_failed: Callable[[Exception], None]) -> None:
        """Save a review; later, on the GUI thread: on_saved((call id, review id, {call id: review})).
        `owner`: the window (nobody is told once it is gone)."""
        database, batch_id, timeout, answers = self.database, self.batch_id, self.busy_timeout_ms, dict(answers)
        ticket = self.turns.ticket()

        def work():
            db = connect(database, timeout)
            try:
                review_id = qa_store.save_review(db, batch_id, call, form, reviewer_id, answers, now)
                return call.call_id, review_id, qa_store.reviews(db, batch_id)
            finally:
                db.conn.close()
        run_off_thread(owner, lambda: self.turns.run(ticket, work), on_saved, on_failed, name="qa-review-save")

    def find_recording(self, owner, call: dict, on_found: Callable[[tuple], None],
                       on_failed: Callable[[Exception], None]) -> None:
        """Look up a call's recording; later: on_found((call id, Recording | NoRecording))."""
        find, call = self.find, dict(call)
        run_off_thread(owner, lambda: (call.get("id", ""), find(call)), on_found, on_failed,
                       name="qa-review-recording")

"""Adding up the review figures off the GUI thread.

One worker thread owns its own connection to the database (SQLite connections stay in the
thread that made them); the window asks for a report and gets it back through a queued Qt
signal. A newer request makes the results of older ones be dropped, so fast filter changes
never show stale charts.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)
FIRST_CHART_WAIT = 20   # s: never held longer, whatever happened to the first chart


class ReportLoader(QObject):
    days_loaded = Signal(object, int)   # Report with only its days (the first chart), request number
    loaded = Signal(object, int)     # Report (without what-if), request number
    what_if_loaded = Signal(object, int)   # list[WhatIf], request number
    hours_loaded = Signal(object, int)     # {(weekday, hour): (calls, agent_ended, customer_ended)}, request
    agents_loaded = Signal(object, int)    # every agent in the file (the filter's list), request number
    failed = Signal(str, int)
    progress = Signal(int, int, int)   # days added up so far (in runs), runs in all, request number

    def __init__(self, db_path: Path, policy, parent=None, first_chart: threading.Event | None = None) -> None:
        """`first_chart`: set once the window's first chart is drawn; until then the worker stops
        after the days, so that the rest of the report (Python, holding the GIL) does not slow
        the window's import of its charts and the drawing of the first one."""
        super().__init__(parent)
        self.db_path = Path(db_path)   # where the card's calls are (database_moved)
        self._policy = policy
        self._first_chart = first_chart
        self._worker: _Worker | None = None
        self._retired: _Worker | None = None   # stopped, maybe still closing its connection
        self.request = 0
        self.agent_ids: list[str] = []

    def load(self, query, scenarios=(), replace: bool = True) -> int:
        """Start adding up `query`; returns the request number the signals will carry.
        With `replace`, a request still queued behind it is dropped (a filter changed again)."""
        if self._worker is None:   # first use, or the window was closed and is shown again
            self._worker, self._retired = _Worker(after=self._retired), None
        self.request += 1
        self._worker.pool.submit(self._work, self._worker, query, tuple(scenarios), self.request, replace)
        return self.request

    def database_moved(self, _event: str, path: str) -> None:
        """The card's store worker put its calls into `path` (Controller.store_file_event): another
        program's file took the database's place, or the file was deleted. The next load reads there."""
        self.db_path = Path(path)

    def is_current(self, request: int) -> bool:
        return request == self.request

    def stop(self) -> None:
        """The window closed: drop queued requests and interrupt the running query."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._retired = worker
            if worker.db is not None:
                worker.db.conn.interrupt()   # SQLite stops the running query at its next step
            worker.pool.submit(worker.close)   # queued requests see they are stale and return first
            worker.pool.shutdown(wait=False)

    def _work(self, worker: "_Worker", query, scenarios, request: int, replace: bool) -> None:
        from ..store.db import FollowedDatabase
        from ..store.reports import agent_ids, build_days, build_report, hour_grid, what_if

        if worker.after is not None:   # a window closed and opened again: the old thread lets go first,
            worker.after.pool.shutdown(wait=True)   # or its last write would lock this one out
            worker.after = None
        if self._worker is not worker or (replace and request != self.request):
            return   # the window closed, or a newer request is queued behind this one
        try:
            if worker.followed is None:   # made in, and used only by, the worker's thread
                worker.followed = FollowedDatabase(self.db_path)
            worker.followed.path = self.db_path
            db = worker.db = worker.followed.get()   # the file the card's calls are in now

            def progress(done: int, total: int) -> None:
                if self._worker is not worker:
                    raise _Stopped   # between two steps of a long first load
                self.progress.emit(done, total, request)
            self.days_loaded.emit(build_days(db, query, self._policy, progress=progress), request)
            self._hold_for_first_chart(worker, request)
            if self._worker is not worker or (replace and request != self.request):
                return   # closed, or a newer request is queued: its figures, not these, are wanted
            report = build_report(db, query, self._policy)
            self.loaded.emit(report, request)   # the first chart, before anything slower
            self.agent_ids = agent_ids(db)
            self.agents_loaded.emit(self.agent_ids, request)
            if scenarios and request == self.request:
                self.what_if_loaded.emit(what_if(db, query, self._policy, scenarios), request)
            if scenarios and request == self.request:   # read straight from the calls: last
                self.hours_loaded.emit(hour_grid(db, query), request)
        except _Stopped:
            return
        except sqlite3.OperationalError as exc:
            if self._worker is not worker:
                return   # interrupted by stop(): nobody is waiting for these figures
            log.exception("review figures failed")
            self.failed.emit(str(exc), request)
        except Exception as exc:   # shown in the window; the card and the file are untouched
            log.exception("review figures failed")
            self.failed.emit(str(exc), request)

    def _hold_for_first_chart(self, worker: "_Worker", request: int) -> None:
        """In the worker, after the days: wait for the window's first chart, unless this request
        went stale (a newer one, or the window closed) or it takes unusually long."""
        if self._first_chart is None:
            return
        deadline = time.monotonic() + FIRST_CHART_WAIT
        while not self._first_chart.wait(0.02):
            if self._worker is not worker or request != self.request or time.monotonic() > deadline:
                return


class _Stopped(Exception):
    pass


class _Worker:
    """One thread and the connection it made (SQLite connections stay in their thread)."""

    def __init__(self, after: "_Worker | None" = None) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hangup-coach-report")
        self.followed = None   # store.db.FollowedDatabase
        self.db = None         # its connection now (stop() interrupts it from the GUI thread)
        self.after = after   # the stopped worker this one waits for before it opens the file

    def close(self) -> None:
        """In the worker's thread: closing rolls back a write the interrupt cut short, so it
        never keeps the file locked."""
        if self.followed is not None:
            self.followed.close()
            self.db = None

"""Adding up the review figures off the GUI thread.

One worker thread owns its own connection to the database (SQLite connections stay in the
thread that made them); the window asks for a report and gets it back through a queued Qt
signal. A newer request makes the results of older ones be dropped, so fast filter changes
never show stale charts.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class ReportLoader(QObject):
    loaded = Signal(object, int)     # Report (without what-if), request number
    what_if_loaded = Signal(object, int)   # list[WhatIf], request number
    failed = Signal(str, int)
    progress = Signal(int, int, int)   # days added up so far (in runs), runs in all, request number

    def __init__(self, db_path: Path, policy, parent=None) -> None:
        super().__init__(parent)
        self._db_path = db_path
        self._policy = policy
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hangup-coach-report")
        self._local = threading.local()
        self.request = 0
        self.agent_ids: list[str] = []

    def load(self, query, scenarios=(), replace: bool = True) -> int:
        """Start adding up `query`; returns the request number the signals will carry.
        With `replace`, a request still queued behind it is dropped (a filter changed again)."""
        self.request += 1
        self._pool.submit(self._work, query, tuple(scenarios), self.request, replace)
        return self.request

    def is_current(self, request: int) -> bool:
        return request == self.request

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _db(self):
        if getattr(self._local, "db", None) is None:
            from ..store.db import open_db
            self._local.db = open_db(self._db_path)
        return self._local.db

    def _work(self, query, scenarios, request: int, replace: bool) -> None:
        from ..store.reports import agent_ids, build_report, what_if

        if replace and request != self.request:
            return   # a newer request is queued behind this one
        try:
            db = self._db()
            self.agent_ids = agent_ids(db)
            report = build_report(db, query, self._policy,
                                  progress=lambda done, total: self.progress.emit(done, total, request))
            self.loaded.emit(report, request)
            if scenarios and request == self.request:
                self.what_if_loaded.emit(what_if(db, query, self._policy, scenarios), request)
        except Exception as exc:   # shown in the window; the card and the file are untouched
            log.exception("review figures failed")
            self.failed.emit(str(exc), request)

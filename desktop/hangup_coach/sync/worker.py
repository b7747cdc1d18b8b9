"""The background sync worker: a thread of its own with its own sqlite connection.

It runs a sync round every `interval` seconds (or at once on `sync_now`). A round that fails
because the server is unreachable or answers badly is retried with exponential backoff and
jitter (tenacity), capped at one attempt a minute; a refused token waits for a new login.
Ring-time lookups run on a second thread (own connection, own HTTP client, ~300 ms timeout),
so a long push never delays them. Where the card uploads its call recordings (`uploader`, given by
app/recording_upload.py), they go on a third thread (own connection, own HTTP client), woken after
each good round: a long upload never delays the calls' and notes' sync, and it stops between parts
when the card closes. Status reaches the GUI through Qt signals (queued).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from tenacity import Retrying, retry_if_exception_type, wait_random_exponential

from ..store import outbox
from ..store.db import FollowedDatabase
from .client import AuthRefused, SyncClient, SyncFailure, Unavailable
from .credentials import Login
from .engine import Syncer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    state: str                      # "syncing" | "ok" | "offline" | "refused" | "expired" (the token's time is up)
    pending: int                    # outbox entries not yet acknowledged
    last_success: datetime | None   # end of the last complete round
    detail: str = ""                # what went wrong, for a tooltip / the log
    clock_skew: float | None = None  # the server's clock minus this machine's, when minutes apart (seconds)


class _Stopped(Exception):
    pass


class SyncWorker(QObject):
    status_changed = Signal(object)    # SyncStatus
    profile_arrived = Signal(str)      # an E.164 number whose server profile is now in the local db
    uploads_done = Signal(object)      # the uploader's report of one pass (recordings)

    def __init__(self, db_path: str | Path, login: Callable[[], Login | None], interval: float = 10.0,
                 lookup_timeout: float = 0.3, max_backoff: float = 60.0, parent: QObject | None = None,
                 uploader: Callable[..., object] | None = None, upload_timeout: float = 60.0) -> None:
        """`login` is read before every round (Credentials.load), so a new `hangup-coach login`
        takes effect on a running card without a restart. `uploader(open_db, client, should_stop)`
        runs on the upload thread after a good round (`open_db()`: that thread's connection to the
        calls' file, opened on first use); its report (or None: nothing to do) goes out as
        `uploads_done`."""
        super().__init__(parent)
        self.db_path, self._load_login = Path(db_path), login
        self.login: Login | None = None
        self.interval, self.lookup_timeout, self.max_backoff = interval, lookup_timeout, max_backoff
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._lookups: ThreadPoolExecutor | None = None
        self._lookup_local = threading.local()
        self.last_success: datetime | None = None
        self._client: SyncClient | None = None     # the sync thread's: its clock_skew is shown
        self.uploader, self.upload_timeout = uploader, upload_timeout
        self._upload_wake = threading.Event()
        self._upload_thread: threading.Thread | None = None

    # ----- called from the GUI thread (never blocks) -----------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()
        self._lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-lookup")
        if self.uploader is not None:
            self._upload_thread = threading.Thread(target=self._upload_loop, name="sync-upload", daemon=True)
            self._upload_thread.start()

    def sync_now(self) -> None:
        self._wake.set()

    def lookup(self, e164: str) -> None:
        """Ask the server for this number's profile; `profile_arrived` if it answered in time."""
        if self._lookups is not None and not self._stop.is_set():
            self._lookups.submit(self._lookup, e164)

    def database_moved(self, _event: str, path: str) -> None:
        """The store worker put the card's calls into `path` (Controller.store_file_event): a new file
        where the lost one was, the card's own file put back (both followed anyway), or a file beside
        another program's. Both threads read and write there from their next use."""
        self.db_path = Path(path)
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._upload_wake.set()
        if self._lookups is not None:
            self._lookups.shutdown(wait=False, cancel_futures=True)
        for thread in (self._thread, self._upload_thread):
            if thread is not None:
                thread.join(timeout)

    # ----- the sync thread ----------------------------------------------------------------------
    def _run(self) -> None:
        followed = FollowedDatabase(self.db_path)   # this thread's own connection, to the calls' file
        db = followed.get()
        client = syncer = None
        retrying = Retrying(
            retry=retry_if_exception_type(Unavailable),
            wait=wait_random_exponential(multiplier=1, max=self.max_backoff),
            sleep=self._sleep,
            before_sleep=lambda state: self._emit(db, "offline", str(state.outcome.exception())),
            reraise=True,
        )
        try:
            while not self._stop.is_set():
                wait = self.interval
                followed.path = self.db_path
                try:
                    db = followed.get()
                except Exception as exc:   # the calls' new file cannot be opened yet: the last one stands
                    log.error("sync: cannot open %s: %s", self.db_path, exc)
                login = self._load_login()
                if login is None:
                    self._emit(db, "refused", "not logged in: hangup-coach login --server URL")
                    self._wake.wait(max(self.interval, 60.0))
                    self._wake.clear()
                    continue
                if login != self.login:
                    if client is not None:
                        client.close()
                    self.login, client = login, SyncClient(login.server, login.token)
                    self._client = client
                if syncer is None or syncer.client is not client or syncer.db is not db:
                    syncer = Syncer(db, client)
                if self.last_success is None:
                    self._emit(db, "syncing")   # later rounds keep the last state: no flicker
                try:
                    report = retrying(syncer.round)
                except _Stopped:
                    break
                except AuthRefused as exc:
                    log.error("sync stopped: %s (log in again: hangup-coach login)", exc)
                    self._emit(db, "expired" if exc.reason == "expired" else "refused", str(exc))
                    wait = max(self.interval, 60.0)
                except SyncFailure as exc:
                    self._emit(db, "offline", str(exc))
                except Exception as exc:  # never let the thread die silently
                    log.exception("sync round failed")
                    self._emit(db, "offline", f"{type(exc).__name__}: {exc}")
                else:
                    self.last_success = datetime.now(timezone.utc)
                    log.info("sync: %s", report.summary())
                    self._emit(db, "ok")
                    self._upload_wake.set()     # the calls are on the server: their recordings may follow
                self._wake.wait(wait)
                self._wake.clear()
        finally:
            if client is not None:
                client.close()
            followed.close()

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped

    def _emit(self, db, state: str, detail: str = "") -> None:
        try:
            pending = outbox.pending_count(db)
        except Exception:
            pending = -1
        skew = self._client.clock_skew if self._client is not None else None
        self.status_changed.emit(SyncStatus(state, pending, self.last_success, detail, skew))

    # ----- the upload thread ------------------------------------------------------------------
    def _upload_loop(self) -> None:
        followed = FollowedDatabase(self.db_path)
        client, login = None, None
        try:
            while True:
                self._upload_wake.wait()
                self._upload_wake.clear()
                if self._stop.is_set():
                    break
                if self.login is None:
                    continue
                if self.login != login:
                    if client is not None:
                        client.close()
                    login = self.login
                    client = SyncClient(login.server, login.token, timeout=self.upload_timeout)
                followed.path = self.db_path
                try:
                    report = self.uploader(followed.get, client, self._stop.is_set)
                except SyncFailure as exc:     # unreachable, or the token refused: the next round resumes
                    log.info("recording upload paused: %s", exc)
                    continue
                except Exception:
                    log.exception("recording upload failed")
                    continue
                if report is not None:
                    log.info("sync: %s", report.summary())
                    self.uploads_done.emit(report)
        finally:
            if client is not None:
                client.close()
            followed.close()

    # ----- the lookup thread ------------------------------------------------------------------
    def _lookup(self, e164: str) -> None:
        local, login = self._lookup_local, self.login
        if login is None:
            return   # not logged in (yet): the local copy stands
        if not hasattr(local, "followed"):
            local.followed = FollowedDatabase(self.db_path)
        local.followed.path = self.db_path
        db = local.followed.get()
        if getattr(local, "login", None) != login:
            if hasattr(local, "syncer"):
                local.syncer.client.close()
            local.login = login
            local.syncer = Syncer(db, SyncClient(login.server, login.token, timeout=self.lookup_timeout))
        local.syncer.db = db
        try:
            found = local.syncer.lookup(e164, self.lookup_timeout)
        except SyncFailure as exc:
            log.info("profile lookup skipped, the local copy stands: %s", exc)
            return
        except Exception:
            log.exception("profile lookup failed; the local copy stands")
            return
        if found:
            self.profile_arrived.emit(e164)

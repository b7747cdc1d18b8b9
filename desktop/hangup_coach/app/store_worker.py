"""The local database's one owner: a thread that holds the SQLite connection (the Anki/Datasette pattern).

The GUI thread never waits on the disk. It hands over copies of call records and note texts; the
worker writes them, and tells the GUI thread through Qt signals what was saved and what trouble it
met. Unsaved work is kept, newest version per call and per note, until it is written:

- a failure that every write shares (database locked by another program, disk full, read-only,
  I/O error) stops the pass and is retried with a growing pause (0.25 s → 2 s);
- a failure of one record (anything else: a constraint, an encoding error) is retried on the next
  pass too, but never holds back the records behind it;
- whatever is not written after a pass is also kept in the journal file beside the database
  (app/journal.py), so a crash or restart in the meantime loses nothing;
- until the file is open (start-up, a locked or slow file: it is opened in a thread of its own),
  every change handed over is journaled at once, after the last run's journal has been taken back.

Reads the GUI needs at once (a caller's history at ring time) jump the queue and are answered with
a bounded wait (`call`); everything else is fire-and-forget.

One connection, one thread, by construction: the worker opens its connection in its own thread,
bound to it (any use from another thread raises instead of racing it inside SQLite), also when it
is handed a store that is already open (tests, tools): that store's connection stays its owner's,
for its owner's reads.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ..core.coach import CallRecord
from ..store.calls import CallStore, parse_time, record_from_row
from ..store.db import BUSY_TIMEOUT_MS, OPEN_BUSY_TIMEOUT_MS, StoreError, connect, is_ours, open_db, problem_kind
from ..store.recover import merge, read_database
from .journal import JournalDamage, UnsavedJournal

log = logging.getLogger(__name__)

RETRY_FIRST_S, RETRY_MAX_S = 0.25, 2.0
FILE_CHECK_S = 2.0          # how often an idle worker checks that its file is still its file
OPEN_RETRY_S = 1.0          # the file is busy at start-up (another program is writing it)


@dataclass
class Opened:
    """What the card needs from the store once it is open: calls not wrapped up, and their notes."""

    open_calls: list[CallRecord]
    notes: dict[str, str]
    wrapped_unsaved: dict[str, str] = dataclasses.field(default_factory=dict)   # call id → number: an
    # unsaved note of a call already wrapped up (last run's journal); the card shows it until it is saved
    ended_line_ids: list[str] = dataclasses.field(default_factory=list)   # their events are ignored
    journal_damage: JournalDamage | None = None   # the last run's journal was damaged: the agent is told
    journal_brought: tuple[int, int] = (0, 0)     # call changes and notes brought back from it


@dataclass
class _Write:
    kind: str                 # "call" | "note"
    key: str                  # call id
    value: Any                # CallRecord | (text, datetime)
    seq: int


class _Stop:
    pass


_WAKE = object()   # a read is waiting in StoreWorker._reads


@dataclass
class _FileOpened:
    error: Exception | None     # None: the file is checked and migrated, the worker can open it


class StoreWorker(QObject):
    opened = Signal(object)            # Opened
    refused = Signal(object)           # StoreError: the database cannot be used at all
    saved = Signal(str, str, int)      # kind ("call" | "note"), call id, sequence number of the saved version
    trouble = Signal(str, str)         # problem kind ("ok" once everything is written), detail for the log
    file_event = Signal(str, str)      # the file was lost and its work written back: "recreated" |
                                       # "merged" | "kept_elsewhere", and the file now written

    def __init__(self, source: CallStore | Path, journal: UnsavedJournal | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._handed = isinstance(source, CallStore)   # already open, checked and migrated
        self._path = _file_of(source) if self._handed else Path(source)
        if journal is None and not self._handed:
            journal = UnsavedJournal.beside(self._path)
        self.journal = journal
        self.store: CallStore | None = None          # the worker thread's own, bound to it
        self._ready = threading.Event()              # a handed-in store: the worker has opened its own
        self._first: Opened | BaseException | None = None
        self._jobs: queue.Queue = queue.Queue()
        self._reads: queue.Queue = queue.Queue()   # call()'s reads: answered between writes, not after them
        self._lock = threading.Lock()
        self._settled = threading.Event()
        self._calls: dict[str, _Write] = {}     # unsaved, newest version per call (worker thread only)
        self._notes: dict[str, _Write] = {}
        self._journaled = False
        self._identity: tuple[int, int] | None = None   # the file the worker opened (device, inode)
        self._mount: Path | None = None         # the mount point the file's folder is under (not "/")
        self._unmounted = False                 # ...and it is mounted no more: nothing is written there
        self._retired: list[CallStore] = []     # connections to a lost file, kept open until the end
        self._notice: tuple[str, str] | None = None   # what became of a lost file, to tell the card
        self._state = "ok"                      # what the card was told last
        self._db_state = ("ok", "")             # what the database said last
        self._journal_error = ""                # the journal could not be written either: why
        self._delay = RETRY_FIRST_S
        self._retry_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="store-worker", daemon=True)

    # ----- used from the GUI thread ------------------------------------------------------------
    def start(self) -> None:
        """Open in the worker thread (the app), or, for a store already open (tests, tools), wait
        for the worker to open its own connection and read the open calls, so `opened` has been
        delivered when this returns."""
        self._thread.start()
        if self._handed:
            if not self._ready.wait(30):
                raise StoreError(f"the call database {self._path} did not open in 30 s", "busy", self._path)
            if isinstance(self._first, BaseException):
                raise self._first
            self.opened.emit(self._first)

    def save_call(self, record: CallRecord, seq: int = 0) -> None:
        self._submit(_Write("call", record.id, dataclasses.replace(record), seq))

    def save_note(self, call_id: str, text: str, now: datetime, seq: int = 0) -> None:
        self._submit(_Write("note", call_id, (text, now), seq))

    def submit(self, fn: Callable[[CallStore], Any]) -> Future:
        """Run fn(store) on the worker ahead of queued writes; the future has its result."""
        future: Future = Future()
        self._reads.put((fn, future))
        self._jobs.put(_WAKE)   # wakes an idle worker; a busy one answers between two writes
        return future

    def call(self, fn: Callable[[CallStore], Any], timeout: float) -> Any:
        """Run fn(store) on the worker ahead of queued writes and wait at most `timeout` s for it.
        Raises TimeoutError, or what fn raised."""
        future = self.submit(fn)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()   # too late to be of use: the worker skips it
            raise

    def wait_saved(self, timeout: float) -> bool:
        """True once everything handed over so far is in the database (tests, quitting)."""
        return self._settled.wait(timeout)

    def close(self, timeout: float = 3.0) -> bool:
        """One last try to write what is pending (else it stays in the journal); True if all is saved."""
        if not self._thread.is_alive():
            return self._settled.is_set()
        self._jobs.put(_Stop())
        self._thread.join(timeout)
        return self._settled.is_set()

    def _submit(self, job: _Write) -> None:
        with self._lock:
            self._settled.clear()
            self._jobs.put(job)

    # ----- the worker thread ---------------------------------------------------------------------
    def _run(self) -> None:
        if self._handed:
            try:
                self.store = self._own_connection(BUSY_TIMEOUT_MS)
                self._replay_journal()
                self._first = self._opened()
            except BaseException as exc:  # handed to start(), which raises it
                self._first = exc
                return
            finally:
                self._ready.set()
        else:
            try:
                self._replay_journal()
                threading.Thread(target=self._open_file, name="store-open", daemon=True).start()
                if self._until_open():
                    return   # asked to stop first: what was handed over is in the journal
                opened = self._opened()
            except StoreError as exc:
                log.error("cannot use the call database: %s", exc)
                self.refused.emit(exc)
                return
            except Exception as exc:  # anything else at opening is a refusal too, never a silent hang
                log.exception("cannot use the call database")
                self.refused.emit(StoreError(f"cannot open the call database {self._source}: {exc}", "io",
                                             Path(self._source)))
                return
            self.opened.emit(opened)
        self._write_pending()
        while True:
            try:
                if self._turn():
                    break
            except Exception as exc:  # the worker must outlive any bug: log, report, keep what is pending
                log.exception("store worker")
                self._report("io", f"{type(exc).__name__}: {exc}")
                self._retry_at = time.monotonic() + RETRY_MAX_S
        for store in (self.store, *self._retired):   # the lost file's connection last (see _take_back_file)
            try:
                store.db.conn.close()
            except Exception:  # closing must not raise on the way out
                log.exception("closing the call database")

    def _own_connection(self, busy_timeout_ms: int) -> CallStore:
        """This thread's connection to the file, usable from this thread only; the file it opened
        is remembered (device and inode), to notice when another takes its place."""
        store = CallStore(connect(self._path, busy_timeout_ms, this_thread_only=True))
        try:
            st = os.stat(self._path)
            self._identity = (st.st_dev, st.st_ino)
        except OSError:
            self._identity = None
        self._mount = _mount_point(Path(os.path.abspath(self._path)).parent)
        return store

    # ----- the file deleted, moved or replaced while the card runs -------------------------------
    def _file_changed(self) -> bool:
        if self.store is None or self._identity is None or self._handed:
            return False
        try:
            st = os.stat(self._path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self._identity

    def _take_back_file(self) -> bool:
        """The database file is gone or another is in its place. The card says so at once; the
        connection still open reads the lost file (an open file outlives its name), and everything
        in it comes back: into a new file at the same place, into the card's own file put back
        there (merged), or, when a file that is not the card's is there, into a new file beside it
        (that file is never written). True once the worker writes to a file of its own again."""
        lost = self._path
        if self._mount is not None and _unmounted(self._mount):
            # A drive or network share that went away leaves its mount point empty (or gone): a new
            # file there would be on another disk, hidden once the drive is back. Kept in memory only.
            if not self._unmounted:
                log.error("the call database's drive is no longer mounted at %s; nothing is written until it is back",
                          self._mount)
            self._unmounted = True
            self._report("unmounted", f"{self._mount} is no longer mounted ({lost} is gone)")
            return False
        self._report("moved", f"{lost} was deleted, moved or replaced")
        try:
            if os.path.lexists(lost) and is_ours(lost):
                open_db(lost, check=True, busy_timeout_ms=OPEN_BUSY_TIMEOUT_MS).conn.close()   # checked, migrated
                store = self._own_connection(BUSY_TIMEOUT_MS)
                calls, notes, unreadable = read_database(self.store.db.conn)
                merge(store, calls, notes)
                event, path = "merged", lost
            else:
                path = lost if not os.path.lexists(lost) else lost.with_name(
                    f"{lost.name}.kept-{time.strftime('%Y%m%d-%H%M%S')}")
                _copy_database(self.store.db.conn, path)
                self._path = path
                store = self._own_connection(BUSY_TIMEOUT_MS)
                event = "recreated" if path == lost else "kept_elsewhere"
        except Exception as exc:  # no file can be made yet (the folder is a file, the disk is full): later
            log.error("the call database %s is gone and cannot be made again yet: %s", lost, exc)
            self._path = lost
            return False
        log.warning("the call database %s was deleted, moved or replaced; %s (%s)", lost, event, path)
        self._retired.append(self.store)   # closed after the new one: its close deletes "<name>-wal" by name
        self.store = store
        if self.journal is not None and path != lost:   # the journal goes with the file
            try:
                self.journal.write({}, {})
            except OSError:
                pass
            self.journal = UnsavedJournal.beside(path)
        self._notice = (event, str(path))
        return True

    def _turn(self) -> bool:
        """Wait for work or the next retry, take everything queued, write. True when asked to stop."""
        wait = FILE_CHECK_S if self._retry_at is None else max(0.0, min(FILE_CHECK_S, self._retry_at - time.monotonic()))
        try:
            taken = [self._jobs.get(timeout=wait)]
        except queue.Empty:
            taken = []
        if self._file_changed() and not self._take_back_file():
            stop = any([self._take(job) for job in taken])   # reads are answered from the copy still open
            self._keep_journal()                              # writes wait for a file of the card's own
            self._retry_at = time.monotonic() + RETRY_MAX_S
            return stop
        self._unmounted = False
        while not self._jobs.empty():           # take everything queued; reads are answered at once
            taken.append(self._jobs.get_nowait())
        if any([self._take(job) for job in taken]):
            self._write_pending()
            return True
        if self._retry_at is None or time.monotonic() >= self._retry_at:
            self._write_pending()
        elif any(isinstance(job, _Write) for job in taken):   # the database is down: the journal has it meanwhile
            self._keep_journal()
        return False

    def _replay_journal(self) -> None:
        """Take back what the last run left unsaved, before anything new is journaled over it."""
        calls, notes = self.journal.read() if self.journal else ({}, {})
        unreadable, why = 0, ""
        for key, row in calls.items():   # each entry on its own: one damaged entry loses only itself
            try:
                record = record_from_row(row)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:   # another version's, or damaged
                unreadable, why = unreadable + 1, f"call {key}: {type(exc).__name__}: {exc}"
                continue
            self._calls[record.id] = _Write("call", record.id, record, 0)
        for call_id, note in notes.items():
            try:
                self._notes[call_id] = _Write("note", call_id, (str(note["text"]), parse_time(note["at"])), 0)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                unreadable, why = unreadable + 1, f"note {call_id}: {type(exc).__name__}: {exc}"
        if unreadable:
            log.error("%d entries of the unsaved-changes journal cannot be replayed (%s); kept aside", unreadable, why)
            self.journal.set_aside(why, unreadable)   # the entries read are journaled again below
        if self._calls or self._notes:
            self._journaled = True
            log.info("%d call change(s) and %d note(s) left unsaved by the last run; saving them now",
                     len(self._calls), len(self._notes))

    def _open_file(self) -> None:
        """In a thread of its own (a locked or slow file can take seconds): check and migrate the
        database, then tell the worker thread, which meanwhile journals every change handed over,
        and which then opens its own connection."""
        try:
            while True:
                try:
                    open_db(self._path, check=True, busy_timeout_ms=OPEN_BUSY_TIMEOUT_MS).conn.close()
                    break
                except StoreError as exc:
                    if exc.kind != "busy":
                        raise
                    self._report("busy", str(exc))
                    time.sleep(OPEN_RETRY_S)
        except Exception as exc:  # handed to the worker thread, which refuses the file
            self._jobs.put(_FileOpened(exc))
            return
        self._jobs.put(_FileOpened(None))

    def _until_open(self) -> bool:
        """Until the file is open, queue each change handed over and journal it at once (a crash then
        loses nothing). True when asked to stop first. Raises what opening the file raised."""
        while True:
            taken = [self._jobs.get()]
            while not self._jobs.empty():
                taken.append(self._jobs.get_nowait())
            file_opened = next((job for job in taken if isinstance(job, _FileOpened)), None)
            stop = any(isinstance(job, _Stop) for job in taken)
            for job in taken:
                if isinstance(job, _Write):
                    self._take(job)
                elif job is _WAKE:   # reads cannot be answered yet
                    while not self._reads.empty():
                        _fn, future = self._reads.get_nowait()
                        if future.set_running_or_notify_cancel():
                            future.set_exception(StoreError("the call database is not open yet", "busy", None))
            self._keep_journal()
            if stop:
                return True
            if file_opened is not None:
                if file_opened.error is not None:
                    raise file_opened.error
                self.store = self._own_connection(OPEN_BUSY_TIMEOUT_MS)
                return False

    def _opened(self) -> Opened:
        """The open calls and their notes, the unsaved changes (journal, this run) being the newest."""
        self.store.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        records = {r.id: r for r in self.store.open_calls()}
        for pending in self._calls.values():     # the journal is newer than the database
            record = pending.value
            if record.wrapped_up_at is None or record.ended_at is None:
                records[record.id] = record
            else:
                records.pop(record.id, None)
        texts = {call_id: self.store.note(call_id) for call_id in records}
        texts.update({call_id: w.value[0] for call_id, w in self._notes.items()})
        wrapped = {call_id: self._number(call_id) for call_id in self._notes if call_id not in records}
        ended = self.store.ended_line_ids() + [w.value.line_call_id for w in self._calls.values()
                                               if w.value.ended_at is not None and w.value.line_call_id]
        return Opened(sorted(records.values(), key=lambda r: r.started_at), texts, wrapped, ended,
                      self.journal.damage if self.journal else None, (len(self._calls), len(self._notes)))

    def _number(self, call_id: str) -> str:
        pending = self._calls.get(call_id)
        record = pending.value if pending else self.store.get_call(call_id)
        return (record.caller_number or "") if record else ""

    def _take(self, job) -> bool:
        if isinstance(job, _Stop):
            return True
        if isinstance(job, _Write):
            (self._calls if job.kind == "call" else self._notes)[job.key] = job
        else:
            self._answer_reads()
        return False

    def _answer_reads(self) -> None:
        """Run the reads asked for so far (a ring's caller history must not wait for a burst's writes)."""
        while True:
            try:
                fn, future = self._reads.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(self.store))
                except BaseException as exc:  # handed to the waiting thread
                    future.set_exception(exc)

    def _write_pending(self) -> None:
        """One pass over everything unsaved: calls first (a note needs its call's row)."""
        shared_failure = None
        record_failure = None
        for pending in (self._calls, self._notes):
            for key, job in list(pending.items()):
                try:
                    if job.kind == "call":
                        self.store.save_call(job.value)
                    else:
                        self.store.save_note(key, job.value[0], job.value[1])
                except Exception as exc:  # any failure: keep the record, tell the card, go on or stop
                    kind = problem_kind(exc)
                    log.error("%s for call %s not saved yet (%s: %s)", job.kind, key, type(exc).__name__, exc)
                    if kind == "record":
                        record_failure = f"{job.kind} {key}: {type(exc).__name__}: {exc}"
                        continue
                    shared_failure = (kind, f"{type(exc).__name__}: {exc}")
                    break
                if pending.get(key) is job:
                    del pending[key]
                self.saved.emit(job.kind, key, job.seq)
                self._answer_reads()
            if shared_failure:
                break
        self._keep_journal()
        if shared_failure or record_failure:
            self._retry_at = time.monotonic() + self._delay
            self._delay = min(RETRY_MAX_S, self._delay * 2)
            self._report(*(shared_failure or ("record", record_failure)))
            return
        self._retry_at = None
        self._delay = RETRY_FIRST_S
        with self._lock:
            if self._jobs.empty() and not self._calls and not self._notes:
                self._settled.set()
        self._report("ok", "")
        if self._notice is not None:   # after "ok": the card keeps saying what happened to the file
            self.file_event.emit(*self._notice)
            self._notice = None

    def _keep_journal(self) -> None:
        if self.journal is None or self._unmounted or (not self._journaled and not self._calls and not self._notes):
            return   # (its folder, unmounted, is not where it belongs either)
        calls = {k: w.value.as_row() for k, w in self._calls.items()}
        notes = {k: {"text": w.value[0], "at": w.value[1]} for k, w in self._notes.items()}
        try:
            self.journal.write(calls, notes)
            self._journaled = bool(calls or notes)
            self._journal_error = ""
        except OSError as exc:
            log.error("cannot write the unsaved-changes journal %s: %s", self.journal.path, exc)
            self._journal_error = f"journal {self.journal.path}: {exc}"
        self._tell()

    def _report(self, kind: str, detail: str) -> None:
        """What the database said last ("ok" once everything is written)."""
        self._db_state = (kind, detail)
        self._tell()

    def _tell(self) -> None:
        """The card's words must be true: unsaved work the journal could not take either, also before
        the file first opens, is in this window's memory only ("memory": do not close it; so is all
        of it while the drive is "unmounted", which says why)."""
        kind, detail = self._db_state
        if self._journal_error and kind != "unmounted" and (kind != "ok" or self.store is None):
            kind, detail = "memory", f"{detail}; {self._journal_error}"
        if kind != self._state:
            self._state = kind
            self.trouble.emit(kind, detail)


def _file_of(store: CallStore) -> Path:
    """The file behind an open store (its main database)."""
    for _seq, name, file in store.db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    raise StoreError("the store worker needs a database file, not an in-memory database", "io", None)


def _mount_point(folder: Path) -> Path | None:
    """The mount point `folder` is under: its topmost ancestor on the same device; None when that is
    the root file system (or the folder cannot be read now)."""
    try:
        device, top = os.stat(folder).st_dev, folder
        for parent in folder.parents:
            if os.stat(parent).st_dev != device:
                break
            top = parent
    except OSError:
        return None
    return None if top == top.parent else top


def _unmounted(mount: Path) -> bool:
    """The drive at `mount` is gone: the mount point is an ordinary folder of the disk around it
    now, is gone itself, or cannot be read (a network share that stopped answering)."""
    try:
        return os.stat(mount).st_dev == os.stat(mount.parent).st_dev
    except OSError:
        return True


def _copy_database(source: sqlite3.Connection, path: Path) -> None:
    """A new file at `path` with everything `source` holds (SQLite's backup). Made with O_EXCL, so
    a file that appeared there meanwhile is never overwritten; stale -wal/-shm of the lost file are
    moved aside first (a new file must never pick up another file's WAL)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for suffix in ("-wal", "-shm", "-journal"):
        stale = Path(f"{path}{suffix}")
        if stale.exists():
            os.replace(stale, Path(f"{stale}.orphaned-{time.strftime('%Y%m%d-%H%M%S')}"))
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    except BaseException:
        target.close()
        os.unlink(path)
        raise
    target.close()

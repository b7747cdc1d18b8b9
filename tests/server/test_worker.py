"""`hangup-coach server worker` (real processes, SQLite and PostgreSQL): it runs the scheduled
evidence retention, two of them run a job in one at a time and the other takes over when the first
stops; a server left idle inside a transaction on PostgreSQL is ended by the server's own setting."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from hangup_coach import wire
from hangup_coach.server.domain import records as pushes
from hangup_coach.server.storage import Storage
from hangup_coach.server.storage.archive import records_archive
from hangup_coach.server.storage.engine import engine_for
from hangup_coach.server.storage.leases import leases
from tests.server.records import call

TAKES_OVER = "runs the job evidence-retention"


class Worker:
    def __init__(self, database: str, log) -> None:
        env = dict(os.environ, HANGUP_COACH_JOBS_TICK="0.2", HANGUP_COACH_RETENTION_EVERY="0.5")
        self.log = log
        self.proc = subprocess.Popen([sys.executable, "-m", "hangup_coach", "server", "worker", "--database", database,
                                      "--evidence-days", "90"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(log, "wb"), start_new_session=True)

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def workers(database, tmp_path):
    made = []

    def start() -> Worker:
        made.append(Worker(database, tmp_path / f"worker-{len(made)}.log"))
        return made[-1]
    yield start
    for worker in made:
        worker.stop()


def until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def archived(database: str) -> int:
    storage = Storage(database)
    try:
        with storage.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(records_archive)).scalar()
    finally:
        storage.close()


def test_workers_archive_old_evidence_one_at_a_time(database, workers):
    long_ago = datetime.now(timezone.utc) - timedelta(days=120)
    storage = Storage(database, clock=lambda: long_ago)
    try:
        storage.migrate()
        device, _ = storage.add_device("1001", "agent")
        body = {"device_id": device.id, "records": [call("1001", started=long_ago - timedelta(minutes=n))
                                                     for n in range(3)], "sent_at": long_ago.isoformat()}
        pushes.push(storage, device, wire.parse_push(body))
    finally:
        storage.close()
    first = workers()
    until(lambda: archived(database) == 3, what="the old calls archived")
    second = workers()
    until(lambda: "hangup-coach server worker: running" in second.said(), what="the second worker started")
    assert TAKES_OVER in first.said() and TAKES_OVER not in second.said()
    assert first.stop() == 0                        # a clean stop gives the lease up...
    until(lambda: TAKES_OVER in second.said(), what="the second worker taking the job over")
    assert second.stop() == 0
    storage = Storage(database)
    try:
        with storage.engine.connect() as conn:
            holders = conn.execute(select(leases.c.holder).where(leases.c.name == "job:evidence-retention")).all()
    finally:
        storage.close()
    assert holders == [("",)]                       # ...and so does the second


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_server_ends_a_session_left_idle_in_a_transaction(database):
    url = database
    default = engine_for(url)
    try:
        with default.connect() as conn:
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "30s"
    finally:
        default.dispose()
    engine = engine_for(url, idle_in_transaction_ms=300)
    watcher = engine_for(url)
    try:
        conn = engine.connect()
        conn.begin()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with watcher.connect().execution_options(isolation_level="AUTOCOMMIT") as other:   # a fresh view each time
            until(lambda: other.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                        {"pid": pid}).scalar() == 0, timeout=30, what="the idle session ended")
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT 1"))
        conn.invalidate()
        conn.close()
    finally:
        engine.dispose()
        watcher.dispose()

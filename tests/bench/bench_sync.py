"""Sync client benchmarks (run by tests/bench/run.py; not collected by pytest).

- `push_backlog`: a card's 10,000-record outbox pushed to a real server process on loopback, by
  the real client (read the outbox, build the batches, HTTP, record the acks), against a
  baseline measured in the same run: the same records, already encoded, POSTed by bare httpx.
- `sync_running`: a real server and the real sync worker pushing a backlog that keeps growing
  (a feeder writes 100 call changes/s into the same file, as ten busy cards would), for the
  note-save and 2-second-wait rows.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

AGENT = "1"   # the agent of the benchmarks' calls (run.py's note and grace rows too)


def _server(work: Path, database: str | None = None):
    from tests.server.harness import ServerProcess, add_device

    server = ServerProcess(database or str(work / "server.db")).start()
    _, token = add_device(server.database, AGENT)
    return server, token


def _fill(store, calls: int, notes: int, start: int = 0) -> None:
    from hangup_coach.core.coach import CallRecord

    now = datetime.now(timezone.utc)
    for n in range(start, start + calls):
        at = now - timedelta(seconds=n)
        store.save_call(CallRecord(
            id=f"bench-{n}", agent_id=AGENT, caller_number=f"+86138{n % 100_000_000:08d}", caller_raw="",
            line_call_id=None, started_at=at, answered_at=at, ended_at=at + timedelta(seconds=60),
            ended_by="customer", caller_class="regular", disposition="resolved",
            wrapped_up_at=at + timedelta(seconds=70), updated_at=at))
        if n - start < notes:
            store.save_note(f"bench-{n}", "客户反映话费异常，已核实并解释资费标准。" * 3, at)


def push_backlog(records: int = 10_000, runs: int = 3, database_factory=None) -> dict:
    """Seconds to push `records` (3/4 calls, 1/4 notes) with the real client, and the bare baseline."""
    import httpx

    from hangup_coach.store import outbox
    from hangup_coach.store.calls import CallStore
    from hangup_coach.store.db import open_db
    from hangup_coach.sync.client import SyncClient
    from hangup_coach.sync.engine import Syncer

    work = Path(tempfile.mkdtemp(prefix="hc-bench-sync-"))
    try:
        store = CallStore(open_db(work / "calls.db"))
        _fill(store, records * 3 // 4, records // 4)
        assert outbox.pending_count(store.db) == records
        batches = [outbox.records(store.db, outbox.pending(store.db, 500, after_seq=after))
                   for after in range(0, records, 500)]
        client_s, bare_s = [], []
        for run in range(runs):
            # the baseline: the same batches, encoded beforehand, to a fresh server
            server, token = _server(work / f"b{run}", database_factory() if database_factory else None)
            try:
                with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
                    device = http.get("/v1/me").json()["device_id"]
                    started = time.perf_counter()
                    for batch in batches:
                        http.post("/v1/push", json={"device_id": device, "records": batch}).raise_for_status()
                    bare_s.append(time.perf_counter() - started)
            finally:
                server.stop()
            # the client, to a fresh server: it sees a new device id and sends everything again
            server, token = _server(work / f"c{run}", database_factory() if database_factory else None)
            try:
                with SyncClient(server.url, token) as client:
                    syncer = Syncer(store.db, client)
                    started = time.perf_counter()
                    syncer.identify(_Report())
                    report = _Report()
                    syncer.push(report)
                    client_s.append(time.perf_counter() - started)
                assert report.pushed == records and outbox.pending_count(store.db) == 0, report
            finally:
                server.stop()
        store.db.conn.close()
        return {"client_s": client_s, "bare_s": bare_s, "records": records}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _Report():
    from hangup_coach.sync.engine import RoundReport
    return RoundReport()


@contextlib.contextmanager
def sync_running(db_path: Path, feed_per_second: int = 100):
    """A real server and the real sync worker on `db_path`, pushing all the while; yields a dict
    that counts what the server acknowledged."""
    from hangup_coach.store import outbox
    from hangup_coach.store.calls import CallStore
    from hangup_coach.store.db import open_db
    from hangup_coach.sync.credentials import Login
    from hangup_coach.sync.worker import SyncWorker

    work = Path(tempfile.mkdtemp(prefix="hc-bench-syncing-"))
    server, token = _server(work)
    login = Login(server.url, token, "bench")
    worker = SyncWorker(db_path, lambda: login, interval=0.2, max_backoff=1.0)
    stop = threading.Event()
    seen = {"rounds": 0}
    worker.status_changed.connect(lambda s: seen.__setitem__("rounds", seen["rounds"] + (s.state == "ok")))

    def feed() -> None:
        store = CallStore(open_db(db_path))   # its own connection, like a second writer
        n = 0
        while not stop.wait(1.0 / feed_per_second * 10):
            _fill(store, 10, 0, start=1_000_000 + n)   # calls only: no second durable note writer
            n += 10
        store.db.conn.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    worker.start()
    try:
        yield seen
    finally:
        stop.set()
        feeder.join()
        worker.stop()
        check = open_db(db_path)
        seen["acked"] = check.execute("SELECT count(*) FROM outbox WHERE acked_version > 0").fetchone()[0]
        seen["pending"] = outbox.pending_count(check)
        check.conn.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import statistics
    result = push_backlog(runs=1)
    print(f"client {statistics.median(result['client_s']):.2f} s, bare {statistics.median(result['bare_s']):.2f} s")


def push_backlog_rows(runs: int) -> list[tuple]:
    """Table rows for run.py: (figure, value, baseline, ratio, ok, note), SQLite and PostgreSQL."""
    import statistics

    from tests.support.postgres import PostgresCluster

    out = []
    for name in ("SQLite", "PostgreSQL"):
        figure = f"10,000-record outbox pushed to a local server ({name})"
        try:
            with contextlib.ExitStack() as stack:
                factory = None
                if name == "PostgreSQL":
                    cluster = stack.enter_context(PostgresCluster())
                    factory = cluster.new_database
                result = push_backlog(runs=runs, database_factory=factory)
        except Exception as exc:   # e.g. PostgreSQL not installed: say so in the table
            out.append((figure, "could not run", "", "", None, f"{type(exc).__name__}: {exc}"[:120]))
            continue
        c, b = statistics.median(result["client_s"]), statistics.median(result["bare_s"])
        out.append((figure, f"{c:.2f} s ({min(result['client_s']):.2f}–{max(result['client_s']):.2f})",
                    f"{b:.2f} s (the same batches, pre-encoded, bare httpx)", f"{c / b:.2f}×", c <= 10,
                    f"real client: outbox read, 20 batches of 500, acks recorded; {runs} run(s), a fresh "
                    f"server each; 7,500 calls + 2,500 notes"))
    return out

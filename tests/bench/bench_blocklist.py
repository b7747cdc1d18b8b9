"""Blocklist benchmark (issue 17): keeping a real Kamailio in step, and the burst rule's scan.

    .venv/bin/python tests/bench/bench_blocklist.py [--quick]     (tests/bench/run.py calls `blocklist_rows`)

- Kamailio: KamailioSync against a real Kamailio (tests/support/kamailio.py) with N active
  blocks: the whole push (what a Kamailio restart or a new lease holder costs), and a round with
  one change among them (a command's effect). Baselines in the same run: as many bare RPCs
  (`core.uptime`) as the whole push sends, and a round with nothing changed.
- Burst scan: one worker round's burst rule over a server database (SQLite) holding a history
  of calls, after a sync interval's worth of new calls from many numbers. Baseline: the same
  round with no new calls.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests" / "support"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from hangup_coach.server.api.blocklist import load_rules  # noqa: E402
from hangup_coach.server.domain.blocklist import Blocklist  # noqa: E402
from hangup_coach.server.domain.kamailio import KamailioSync  # noqa: E402
from hangup_coach.server.storage import Storage, iso  # noqa: E402
from hangup_coach.server.storage.schema import records  # noqa: E402
from tests.server.records import call  # noqa: E402
from tests.bench.table import print_table  # noqa: E402


def ms(seconds: float) -> float:
    return seconds * 1000


def kamailio(blocks: int, runs: int) -> dict:
    from kamailio import Kamailio, _free_port
    proxy = Kamailio(_free_port()).start()
    try:
        now = datetime.now(timezone.utc)
        active = {f"+86139{i:08d}": now + timedelta(days=1) for i in range(blocks)}
        whole, bare, changed, idle = [], [], [], []
        for _ in range(runs):
            sync = KamailioSync(proxy.rpc_url)
            began = time.perf_counter()
            sent = sync.sync(active, now)                     # a new holder: reads the table, pushes it whole
            whole.append(time.perf_counter() - began)
            began = time.perf_counter()
            for _ in range(sent):
                sync._call("core.uptime")                     # the same number of bare RPCs, same connection
            bare.append(time.perf_counter() - began)
            began = time.perf_counter()
            sync.sync(active, now)                            # nothing changed: one RPC
            idle.append(time.perf_counter() - began)
            one = dict(active)
            one.pop(next(iter(one)))                          # a block revoked
            one["+8613700000000"] = None                      # and a permanent one activated
            began = time.perf_counter()
            sync.sync(one, now)
            changed.append(time.perf_counter() - began)
            sync.sync(active, now)
            sync.close()
        return {"blocks": blocks, "rpcs": sent, "whole": whole, "bare": bare, "changed": changed, "idle": idle}
    finally:
        proxy.close()


def burst_scan(history: int, fresh: int, runs: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hc-bench-blocklist-"))
    storage = Storage(str(work / "server.db"))
    storage.migrate()
    now = datetime.now(timezone.utc)
    numbers = [f"+86138{i:08d}" for i in range(max(history // 20, 1))]

    def add(count: int, since: timedelta, judged_every: int) -> None:
        rows = []
        for i in range(count):
            number = numbers[i % len(numbers)]
            fields = {"caller_class": "no_value", "warnings": 1} if i % judged_every == 0 else {}
            record = call(f"{1000 + i % 50}", number, started=now - since + timedelta(seconds=i * since.total_seconds()
                                                                                        / max(count, 1)), **fields)
            rows.append(record)
        with storage.write() as conn:
            stamp = storage.stamp(conn, len(rows))
            conn.execute(records.insert(), [{
                "kind": "call", "id": r["id"], "version": 1, "seq": seq, "tx": stamp.tx, "agent_id": r["data"]["agent_id"],
                "team": "default", "site": "default", "device_id": "bench", "received_at": iso(now),
                "number": r["data"]["caller_number"], "started_at": r["data"]["started_at"],
                "data": json.dumps(r["data"])} for r, seq in zip(rows, stamp.seqs)])

    try:
        add(history, timedelta(days=30), judged_every=7)          # a month of history
        blocklist = Blocklist(storage, load_rules())
        blocklist._bursts(now)                                    # the history looked at once (start-up)
        scans, idle, made = [], [], 0
        for _ in range(runs):
            add(fresh, timedelta(minutes=10), judged_every=3)    # a sync interval's new calls
            began = time.perf_counter()
            made += blocklist._bursts(now)
            scans.append(time.perf_counter() - began)
            began = time.perf_counter()
            blocklist._bursts(now)                                # nothing new
            idle.append(time.perf_counter() - began)
        return {"history": history, "fresh": fresh, "numbers": len(numbers), "scans": scans, "idle": idle,
                "made": made}
    finally:
        storage.close()


def blocklist_rows(quick: bool) -> list[tuple]:
    rows = []
    blocks, runs = (300, 3) if quick else (1000, 5)
    try:
        k = kamailio(blocks, runs)
        whole, bare = statistics.median(k["whole"]), statistics.median(k["bare"])
        rows.append((f"Kamailio whole push, {blocks:,} active blocks ({k['rpcs']:,} RPCs)",
                     f"{ms(whole):.0f} ms ({ms(min(k['whole'])):.0f}–{ms(max(k['whole'])):.0f})",
                     f"{ms(bare):.0f} ms ({k['rpcs']:,} bare core.uptime RPCs)", f"{whole / bare:.2f}×", "≤ 10 s",
                     whole <= 10, f"a Kamailio restart or a new lease holder: dump, then setxs per timed key (sets+setex per permanent one); {runs} runs"))
        changed, idle = statistics.median(k["changed"]), statistics.median(k["idle"])
        rows.append((f"Kamailio round with 2 changes among {blocks:,} blocks",
                     f"{ms(changed):.1f} ms ({ms(min(k['changed'])):.1f}–{ms(max(k['changed'])):.1f})",
                     f"{ms(idle):.1f} ms (a round with nothing changed)", f"{changed / idle:.1f}×", "≤ 100 ms",
                     changed <= 0.1, "a revoke and an activation: the difference only"))
    except Exception as exc:   # e.g. Kamailio not installed: say so in the table
        rows.append(("Kamailio sync", "could not run", "", "", "", None, f"{type(exc).__name__}: {exc}"[:160]))
    history, fresh = (20_000, 200) if quick else (200_000, 1000)
    b = burst_scan(history, fresh, runs)
    scan, idle = statistics.median(b["scans"]), statistics.median(b["idle"])
    rows.append((f"burst rule, one round: {fresh:,} new calls, {history:,} in the history (SQLite)",
                 f"{ms(scan):.0f} ms ({ms(min(b['scans'])):.0f}–{ms(max(b['scans'])):.0f})",
                 f"{ms(idle):.1f} ms (a round with no new call)", f"{scan / max(idle, 1e-6):.0f}×",
                 "≤ 1 s (the worker's interval)", scan <= 1.0,
                 f"{b['numbers']:,} numbers; {b['made']} automatic blocks made over {runs} rounds"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer blocks, a smaller history")
    args = parser.parse_args()
    print_table(blocklist_rows(args.quick))


if __name__ == "__main__":
    main()

"""Sync server benchmark: 200 simulated agents pushing at once, on SQLite and on PostgreSQL with
two server processes. Run on demand (tests/bench/run.py calls `server_rows`), or alone:

    .venv/bin/python tests/bench/bench_server.py [--quick]

Two loads, each against real `hangup-coach server` processes on loopback:
- a burst: every agent pushes backlog batches of 20 records back to back, all at once (a whole
  centre reconnecting after an outage) → ingest rate and push latency at saturation; baseline:
  GET /health under the same burst, same run;
- a steady pace of 50 pushes/s (2.5× what 200 agents syncing every 10 s send) of a call and its
  note → push latency against the anchor's budget (reliability-anchors §5 E.21: p95 ≤ 100 ms),
  with 10 ringing-time profile lookups per second meanwhile → their latency.
Agents are asyncio httpx clients, one connection each, bounded in number and time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from hangup_coach.server.storage import Storage  # noqa: E402
from tests.server.harness import ServerProcess  # noqa: E402
from tests.server.records import call, note  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

AGENTS = 200
BURST_BATCH = 20          # records per push in the burst
PACE = 50                 # pushes per second, steady load
LOOKUPS = 10              # profile lookups per second meanwhile (agents' phones ringing)
TIME_LIMIT = 120.0        # seconds: no load phase runs longer


def pct(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1]


def make_agents(database: str, n: int) -> list[tuple[str, str, str]]:
    storage = Storage(database)
    storage.migrate()
    agents = []
    for i in range(n):
        device, token = storage.add_device(f"{1000 + i}", "agent", f"team{i % 10}")
        agents.append((device.id, token, device.agent_id))
    storage.close()
    return agents


async def _clients(servers, agents):
    return [httpx.AsyncClient(base_url=servers[i % len(servers)].url, timeout=60,
                              headers={"Authorization": f"Bearer {token}"})
            for i, (_, token, _) in enumerate(agents)]


async def burst(servers, agents, rounds: int, health: bool) -> dict:
    """Every agent at once: `rounds` pushes of BURST_BATCH calls (or GETs of /health) back to back."""
    clients = await _clients(servers, agents)
    latencies, failures, records = [], [], 0
    deadline = time.monotonic() + TIME_LIMIT

    async def agent(i):
        nonlocal records
        device_id, _, agent_id = agents[i]
        for _ in range(rounds):
            if time.monotonic() > deadline:
                return
            if health:
                start = time.perf_counter()
                reply = await clients[i].get("/health")
            else:
                batch = [call(agent_id, f"+86138{i:04d}{j:04d}") for j in range(BURST_BATCH)]
                start = time.perf_counter()
                reply = await clients[i].post("/v1/push", json={"device_id": device_id, "records": batch})
            latencies.append((time.perf_counter() - start) * 1000)
            if reply.status_code != 200:
                failures.append(reply.status_code)
            elif not health:
                records += len(reply.json()["acked"])

    began = time.perf_counter()
    await asyncio.gather(*(agent(i) for i in range(len(agents))))
    elapsed = time.perf_counter() - began
    for c in clients:
        await c.aclose()
    return {"latencies": latencies, "failures": failures, "records": records, "seconds": elapsed}


async def paced(servers, agents, seconds: float) -> dict:
    """PACE pushes per second in turn from the agents, and meanwhile LOOKUPS ringing-time profile
    lookups per second (open loop: a slow reply delays no later request)."""
    clients = await _clients(servers, agents)
    latencies, lookups, failures = [], [], []

    async def push(i):
        device_id, _, agent_id = agents[i]
        c = call(agent_id, f"+86139{i:04d}{len(latencies):04d}")
        start = time.perf_counter()
        reply = await clients[i].post("/v1/push", json={"device_id": device_id, "records": [c, note(c["id"])]})
        latencies.append((time.perf_counter() - start) * 1000)
        if reply.status_code != 200:
            failures.append(reply.status_code)

    async def lookup(i):
        start = time.perf_counter()      # a number the burst gave a history of calls
        reply = await clients[i].get(f"/v1/profiles/+86138{(i * 7) % len(agents):04d}{i % BURST_BATCH:04d}")
        lookups.append((time.perf_counter() - start) * 1000)
        if reply.status_code != 200:
            failures.append(reply.status_code)

    async def schedule(rate, request):
        tasks, began = [], time.perf_counter()
        for k in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, began + k / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(request(k % len(agents))))
        await asyncio.gather(*tasks)

    await asyncio.wait_for(asyncio.gather(schedule(PACE, push), schedule(LOOKUPS, lookup)), TIME_LIMIT)
    for c in clients:
        await c.aclose()
    return {"latencies": latencies, "lookups": lookups, "failures": failures}


def measure(kind: str, quick: bool) -> dict:
    """All loads on one fresh database of `kind` ("sqlite", or "postgresql" with two servers)."""
    runs, rounds, pace_s = (1, 3, 5.0) if quick else (3, 5, 15.0)
    with ExitStack() as stack:
        if kind == "sqlite":
            work = stack.enter_context(tempfile.TemporaryDirectory(prefix="hc-bench-server-"))
            database = str(Path(work) / "server.db")
            servers = [stack.enter_context(ServerProcess(database))]
        else:
            cluster = stack.enter_context(PostgresCluster(durable=True))   # fsync on, like SQLite FULL
            database = cluster.new_database()
            servers = [stack.enter_context(ServerProcess(database)) for _ in range(2)]
        agents = make_agents(database, AGENTS)
        asyncio.run(burst(servers, agents, 1, health=True))               # warm up connections and pools
        pushes, healths = [], []
        for _ in range(runs):      # alternated, so a noisy stretch of the shared machine hits both alike
            healths.append(asyncio.run(burst(servers, agents, rounds, health=True)))
            pushes.append(asyncio.run(burst(servers, agents, rounds, health=False)))
        steady = asyncio.run(paced(servers, agents, pace_s))
    return {"pushes": pushes, "healths": healths, "steady": steady, "calls_per_number": runs * rounds}


def rows_for(kind: str, result: dict) -> list[tuple]:
    """(figure, value, baseline, ratio, budget, ok, note) rows, as tests/bench/run.py prints them."""
    label = "SQLite, 1 server process" if kind == "sqlite" else "PostgreSQL, 2 server processes"
    pushes, healths, steady = result["pushes"], result["healths"], result["steady"]
    rates = [p["records"] / p["seconds"] for p in pushes]
    failed = sum(len(p["failures"]) for p in pushes) + len(steady["failures"])
    push_ms = [x for p in pushes for x in p["latencies"]]
    health_ms = [x for h in healths for x in h["latencies"]]
    rate = statistics.median(rates)
    p99_push, p99_health = pct(push_ms, 0.99), pct(health_ms, 0.99)
    fail_note = f"; {failed} pushes FAILED" if failed else ""
    rows = [
        (f"sync server ingest, {AGENTS} agents pushing at once ({label})",
         f"{rate:,.0f} records/s ({min(rates):,.0f}–{max(rates):,.0f})", "", "", "≥ 1,000 records/s",
         rate >= 1000 and not failed,
         f"{len(pushes)} runs × {AGENTS} agents × {len(push_ms) // len(pushes) // AGENTS} pushes of {BURST_BATCH} "
         f"calls, one connection each{fail_note}"),
        (f"push latency, {AGENTS} agents pushing at once ({label})",
         f"p99 {p99_push:.0f} ms, median {statistics.median(push_ms):.0f} ms",
         f"p99 {p99_health:.0f} ms (GET /health, same burst)", f"{p99_push / p99_health:.1f}× (p99)",
         "p99 ≤ 2 s", p99_push <= 2000 and not failed, "saturation: writes take one lock in turn"),
        (f"push latency at {PACE} pushes/s from {AGENTS} agents ({label})",
         f"p95 {pct(steady['latencies'], 0.95):.1f} ms, p99 {pct(steady['latencies'], 0.99):.1f} ms, "
         f"median {statistics.median(steady['latencies']):.1f} ms", "", "", "p95 ≤ 100 ms",
         pct(steady["latencies"], 0.95) <= 100 and not steady["failures"],
         f"{len(steady['latencies'])} pushes of a call + note; 2.5× 200 agents syncing every 10 s"),
        (f"caller profile lookup on ringing, under that load ({label})",
         f"p99 {pct(steady['lookups'], 0.99):.1f} ms, median {statistics.median(steady['lookups']):.1f} ms",
         "", "", "p99 ≤ 100 ms", pct(steady["lookups"], 0.99) <= 100 and not steady["failures"],
         f"{len(steady['lookups'])} lookups at {LOOKUPS}/s of numbers with {result['calls_per_number']} calls; "
         "the card waits ≤ 300 ms, then uses its local copy"),
    ]
    return rows


def server_rows(quick: bool) -> list[tuple]:
    rows = []
    for kind in ("sqlite", "postgresql"):
        print(f"… sync server on {kind}", file=sys.stderr, flush=True)
        try:
            rows += rows_for(kind, measure(kind, quick))
        except Exception as exc:   # e.g. PostgreSQL not installed: say so in the table
            rows.append((f"sync server, {AGENTS} agents pushing at once ({kind})", "could not run", "", "", "",
                         None, f"{type(exc).__name__}: {exc}"[:160]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run and shorter loads")
    args = parser.parse_args()
    print_table(server_rows(args.quick))


if __name__ == "__main__":
    main()

"""Server capacity on PostgreSQL (issue 16), on demand (tests/bench/run.py calls `capacity_rows`), or alone:

    .venv/bin/python tests/bench/bench_capacity.py [--quick]

One durable PostgreSQL (fsync on), one `hangup-coach server --workers 4`; the load generator (this
process) pinned to one core once the server is started. Three figures, each beside a baseline of
the same run:
- sustained push rate: AGENTS_SUSTAINED agents pushing batches of 20 calls back to back, against
  bare psycopg doing the same inserts (20 rows a transaction, one commit each, a table made LIKE
  `records` with its indexes) from as many connections → ratio (budget: within 2×). Like with
  like: the same durability (one cluster, fsync and synchronous_commit on), the same rows, and on
  both sides one client process on one core with AGENTS_SUSTAINED connections/threads; the server
  also reads the batch's stored versions and checks the device is live (its work, counted);

- a burst: BURST agents (1,000) pushing one batch of 20 calls at the same moment → p99 (≤ 3 s);
  baseline: GET /health from the same agents at once;
- steady: STEADY (2,000) agents in teams of 50, each syncing every 10 s as a card does (push a call,
  pull /v1/changes until in step) with 20 ring-time lookups a second beside them → push p99
  (≤ 200 ms) and lookup p99 (≤ 100 ms), on the server with ROWS calls; baseline: GET /health beside;
- a new card's first pull: ROWS (1,000,000) calls on the server from 100 teams of 50 agents over
  60 days; a new card of one team pulls /v1/changes until in step → seconds and pages (≤ 5 s),
  the numbers it received counted against a query written here (its team's numbers within the
  evidence window); baseline: that query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from hangup_coach import wire  # noqa: E402
from hangup_coach.server.storage import Storage  # noqa: E402
from tests.server.harness import ServerProcess  # noqa: E402
from tests.server.records import call  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.bench.table import print_table  # noqa: E402

BATCH = 20
AGENTS_SUSTAINED = 50
BURST = 1000
STEADY = 2000             # agents syncing every SYNC_SECONDS (teams of TEAM_SIZE)
SYNC_SECONDS = 10.0
LOOKUPS = 20              # ring-time profile lookups a second meanwhile (2,000 agents: one call each ~3 min → ~11/s)
TEAM_SIZE = 50
ROWS = 1_000_000
TEAMS = 100


def pct(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1]


def make_agents(database: str, n: int, team: str = "bench", first: int = 10000, team_size: int = 0
                ) -> list[tuple[str, str, str]]:
    """`n` agent devices, in `team` (or, with team_size, in teams f"{team}{i // team_size}")."""
    storage = Storage(database)
    agents = []
    for i in range(n):
        device, token = storage.add_device(f"{first + i}", "agent", f"{team}{i // team_size}" if team_size else team)
        agents.append((device.id, token, device.agent_id))
    storage.close()
    return agents


def _batch(agent_id: str, i: int, k: int) -> list[dict]:
    return [call(agent_id, f"+8615{i:05d}{k % 1000:03d}{j:02d}") for j in range(BATCH)]


def session(url: str, connections: int = 0):
    """The load generator's HTTP client: aiohttp, keep-alive, a connection per agent in flight
    (limit 0: no cap). aiohttp rather than httpx: a third of the CPU per request, and the generator
    shares this machine's cores with the server (its cost per push is printed beside the rate)."""
    import aiohttp

    return aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=connections),
                                 timeout=aiohttp.ClientTimeout(total=120))


def push_body(device_id: str, agent_id: str, i: int, k: int) -> bytes:
    return json.dumps({"device_id": device_id, "records": _batch(agent_id, i, k)}).encode()


def headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
            wire.PROTOCOL_HEADER: str(wire.PROTOCOL)}


async def sustained(url: str, agents, seconds: float) -> dict:
    records, failures, stop = 0, 0, time.monotonic() + seconds
    cpu = time.process_time()

    async def agent(http, i):
        nonlocal records, failures
        device_id, token, agent_id = agents[i]
        k = 0
        while time.monotonic() < stop:
            async with http.post("/v1/push", data=push_body(device_id, agent_id, i, k), headers=headers(token)) as reply:
                await reply.read()
                k += 1
                if reply.status == 200:
                    records += BATCH
                else:
                    failures += 1

    async with session(url) as http:
        began = time.perf_counter()
        await asyncio.gather(*(agent(http, i) for i in range(len(agents))))
        elapsed = time.perf_counter() - began
    return {"rate": records / elapsed, "failures": failures,
            "client_ms": (time.process_time() - cpu) * 1000 / max(1, records / BATCH)}


def bare_psycopg(database: str, connections: int, seconds: float) -> float:
    """The same inserts without the server: rows a second."""
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_records")
        conn.execute("CREATE TABLE bare_records (LIKE records INCLUDING ALL)")
        conn.execute("CREATE SEQUENCE IF NOT EXISTS bare_seq")
    columns = ("kind", "id", "version", "seq", "tx", "agent_id", "team", "site", "device_id", "received_at",
               "number", "started_at", "call_id", "data")
    sql = (f"INSERT INTO bare_records ({', '.join(columns)}) VALUES "
           "(%s, %s, %s, nextval('bare_seq'), pg_current_xact_id()::text::bigint, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
    counts, stop = [0] * connections, time.monotonic() + seconds

    def worker(n):
        with psycopg.connect(database) as conn:
            k = 0
            while time.monotonic() < stop:
                now = datetime.now(timezone.utc).isoformat()
                rows = [("call", r["id"], 1, "bench", "bench", "default", "dev", now, r["data"]["caller_number"],
                         r["data"]["started_at"], None, json.dumps(r["data"])) for r in _batch("bench", n, k)]
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(sql, rows)
                counts[n] += len(rows)
                k += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - began)


async def burst(url: str, agents, health: bool) -> dict:
    import aiohttp

    go, latencies, failures = asyncio.Event(), [], []

    async def agent(http, i):
        device_id, token, agent_id = agents[i]
        body = push_body(device_id, agent_id, i, 999)
        await go.wait()
        start = time.perf_counter()
        try:
            request = http.get("/health") if health else http.post("/v1/push", data=body, headers=headers(token))
            async with request as reply:
                await reply.read()
                if reply.status != 200:
                    failures.append(reply.status)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            failures.append(type(exc).__name__)
        latencies.append((time.perf_counter() - start) * 1000)

    async with session(url) as http:
        tasks = [asyncio.create_task(agent(http, i)) for i in range(len(agents))]
        await asyncio.sleep(0.5)
        go.set()
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "failures": failures}


async def steady(url: str, agents, seconds: float, numbers: list[str]) -> dict:
    """Each agent syncs every SYNC_SECONDS as a card does (push one call, then pull /v1/changes from
    its cursor until in step), starting at a random offset; meanwhile LOOKUPS ring-time profile
    lookups a second (numbers with history) and as many GET /health (the baseline)."""
    import aiohttp

    latencies = {"push": [], "pull": [], "lookup": [], "health": []}
    failures, stop, rng = [], time.monotonic() + seconds, random.Random(16)

    async def timed(kind: str, request) -> dict | None:
        start = time.perf_counter()
        try:
            async with request as reply:
                body = await reply.read()
                if reply.status != 200 and not (kind == "lookup" and reply.status == 404):
                    failures.append((kind, reply.status))
                    return None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            failures.append((kind, type(exc).__name__))
            return None
        finally:
            latencies[kind].append((time.perf_counter() - start) * 1000)
        return json.loads(body) if kind == "pull" else None

    async def card(http, i: int) -> None:
        device_id, token, agent_id = agents[i]
        since, k = "", 0
        await asyncio.sleep(rng.uniform(0, SYNC_SECONDS))
        while time.monotonic() < stop:
            began = time.monotonic()
            body = json.dumps({"device_id": device_id, "records": [call(agent_id, f"+8617{i:05d}{k % 10000:04d}")]})
            await timed("push", http.post("/v1/push", data=body.encode(), headers=headers(token)))
            k += 1
            while True:
                page = await timed("pull", http.get("/v1/changes", params={"since": since, "limit": 1000},
                                                    headers=headers(token)))
                if page is None:
                    break
                since = page["cursor"]
                if not page["more"]:
                    break
            await asyncio.sleep(max(0.0, SYNC_SECONDS - (time.monotonic() - began)))

    async def ringing(http) -> None:
        tasks = []
        while time.monotonic() < stop:
            token = agents[rng.randrange(len(agents))][1]
            tasks.append(asyncio.create_task(timed(
                "lookup", http.get(f"/v1/profiles/{rng.choice(numbers)}", headers=headers(token)))))
            tasks.append(asyncio.create_task(timed("health", http.get("/health"))))
            await asyncio.sleep(1 / LOOKUPS)
        await asyncio.gather(*tasks)

    lags = []

    async def generator_lag() -> None:          # this process's own delay: a latency above it is the server's
        while time.monotonic() < stop:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - began) * 1000 - 10)

    async with session(url) as http:
        await asyncio.gather(ringing(http), generator_lag(), *(card(http, i) for i in range(len(agents))))
    return {"latencies": latencies, "failures": failures, "agents": len(agents), "lag": lags}


def seed(database: str, rows: int) -> None:
    """`rows` calls of 100 teams × 50 agents on 200,000 numbers over 60 days, in one statement."""
    import psycopg

    data = json.dumps(call("10000", "+8613800000000")["data"])
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO records (kind, id, version, seq, tx, agent_id, team, site, device_id, received_at, number, "
            "started_at, call_id, data) "
            "SELECT 'call', md5(i::text), 1, nextval('change_seq'), 0, (20000 + i %% 5000)::text, "
            f"'team' || (i %% 5000 / 50), 'default', 'seed', t, "
            "'+8613' || lpad((i %% 200000)::text, 9, '0'), t, NULL, %s "
            "FROM (SELECT i, to_char((now() - (i %% 60) * interval '1 day') AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') AS t FROM generate_series(1, %s) AS i) AS g",
            (data, rows))
        conn.execute("ANALYZE records")


def first_pull(url: str, database: str, team: str) -> dict:
    import psycopg

    storage = Storage(database)
    device, token = storage.add_device("29999", "agent", team)
    storage.close()
    window = (datetime.now(timezone.utc) - timedelta(days=wire.PROFILE_DAYS)).isoformat(timespec="microseconds")
    began = time.perf_counter()
    with psycopg.connect(database) as conn:      # the query written here: what this team's card needs
        expected = {n for (n,) in conn.execute(
            "SELECT DISTINCT number FROM records WHERE kind = 'call' AND team = %s AND started_at >= %s",
            (team, window))}
    query_s = time.perf_counter() - began
    received, sent, pages, since = set(), 0, 0, ""
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
        began = time.perf_counter()
        while True:
            page = client.get("/v1/changes", params={"since": since, "limit": wire.MAX_PULL_LIMIT}).json()
            pages += 1
            sent += len(page["profiles"])
            received |= {p["number"] for p in page["profiles"]}
            since = page["cursor"]
            if not page["more"]:
                break
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "pages": pages, "received": received, "expected": expected, "sent": sent,
            "query_s": query_s}


def measure(quick: bool) -> dict:
    seconds, burst_n, rows = (5.0, 300, 100_000) if quick else (15.0, BURST, ROWS)
    steady_n, steady_s = (500, 25.0) if quick else (STEADY, 40.0)
    with ExitStack() as stack:
        cluster = stack.enter_context(PostgresCluster(durable=True))
        database = cluster.new_database()
        server = stack.enter_context(ServerProcess(database, "--workers", "4"))
        agents = make_agents(database, max(AGENTS_SUSTAINED, burst_n))
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})      # the load generator: one core
        result = {"bare": [], "server": []}
        for _ in range(1 if quick else 2):         # alternated, so a noisy stretch hits both alike
            result["bare"].append(bare_psycopg(database, AGENTS_SUSTAINED, seconds))
            result["server"].append(asyncio.run(sustained(server.url, agents[:AGENTS_SUSTAINED], seconds)))
        result["health"] = asyncio.run(burst(server.url, agents[:burst_n], health=True))
        result["burst"] = asyncio.run(burst(server.url, agents[:burst_n], health=False))
        result["burst_n"] = burst_n
        seed(database, rows)
        result["rows"] = rows
        result["pull"] = first_pull(server.url, database, "team7")
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        steady_agents = make_agents(database, steady_n, "steady", first=40000, team_size=TEAM_SIZE)
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        numbers = sorted(result["pull"]["expected"])         # numbers with history (the seeded team's)
        result["steady"] = asyncio.run(steady(server.url, steady_agents, steady_s, numbers))
        result["steady_s"] = steady_s
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return result


def rows_for(result: dict) -> list[tuple]:
    """(figure, value, baseline, ratio, budget, ok, note) rows, as tests/bench/run.py prints them."""
    bare = statistics.median(result["bare"])
    rates = [s["rate"] for s in result["server"]]
    rate = statistics.median(rates)
    failed = sum(s["failures"] for s in result["server"])
    b, h = result["burst"], result["health"]
    p99_burst, p99_health = pct(b["latencies"], 0.99), pct(h["latencies"], 0.99)
    pull = result["pull"]
    exact = pull["received"] == pull["expected"]
    return [
        (f"sustained push rate, {AGENTS_SUSTAINED} agents, batches of {BATCH} (PostgreSQL, --workers 4)",
         f"{rate:,.0f} records/s ({min(rates):,.0f}–{max(rates):,.0f})",
         f"{bare:,.0f} rows/s (bare psycopg, same inserts)", f"{bare / rate:.1f}× slower", "within 2×",
         bare / rate <= 2 and not failed,
         f"both: fsync + synchronous_commit on, 20 rows a transaction, {AGENTS_SUSTAINED} clients in one process on "
         f"one core; generator CPU {statistics.median(s['client_ms'] for s in result['server']):.1f} ms/push"
         f"{'; FAILURES' if failed else ''}"),
        (f"burst: {result['burst_n']} agents push {BATCH} calls at once (PostgreSQL, --workers 4)",
         f"p99 {p99_burst:,.0f} ms, median {statistics.median(b['latencies']):,.0f} ms",
         f"p99 {p99_health:,.0f} ms (GET /health, same agents at once)", f"{p99_burst / p99_health:.1f}×",
         "p99 ≤ 3 s", p99_burst <= 3000 and not b["failures"],
         f"one connection each; {len(b['failures'])} failed"),
        (f"new card's first pull, {result['rows']:,} calls on the server (team of 50 of {TEAMS} teams)",
         f"{pull['seconds']:.1f} s, {pull['pages']} pages", f"{pull['query_s']:.2f} s (the needed numbers, one query)",
         f"{pull['seconds'] / max(pull['query_s'], 1e-3):.0f}×", "≤ 5 s, exactly the team's numbers",
         pull["seconds"] <= 5 and exact,
         f"{len(pull['received']):,} numbers received ({pull['sent']:,} profiles sent), "
         f"{len(pull['expected']):,} needed; {'exact' if exact else 'NOT the needed set'}"),
        steady_row(result),
    ]


def steady_row(result: dict) -> tuple:
    st = result["steady"]
    lat = st["latencies"]
    push99, pull99, look99, health99 = (pct(lat[k], 0.99) for k in ("push", "pull", "lookup", "health"))
    rounds = len(lat["push"]) / result["steady_s"]
    return (f"steady: {st['agents']:,} agents sync every {SYNC_SECONDS:.0f} s (push a call, pull) + {LOOKUPS} "
            f"ring-time lookups/s, {result['rows']:,} calls on the server",
            f"push p99 {push99:,.0f} ms, lookup p99 {look99:,.0f} ms (pull p99 {pull99:,.0f} ms)",
            f"p99 {health99:,.0f} ms (GET /health beside the lookups)", f"{look99 / max(health99, 1):.1f}×",
            "push p99 ≤ 200 ms, lookup p99 ≤ 100 ms", push99 <= 200 and look99 <= 100 and not st["failures"],
            f"{rounds:.0f} sync rounds/s (of {st['agents'] / SYNC_SECONDS:.0f} asked), {len(lat['lookup']):,} lookups; "
            f"{len(st['failures'])} failed; the generator's own lag p99 {pct(st['lag'], 0.99):,.0f} ms")


def capacity_rows(quick: bool) -> list[tuple]:
    print("… server capacity on PostgreSQL (tests/bench/bench_capacity.py)", file=sys.stderr, flush=True)
    try:
        return rows_for(measure(quick))
    except Exception as exc:   # e.g. PostgreSQL not installed: say so in the table
        return [("server capacity on PostgreSQL", "could not run", "", "", "", None, f"{type(exc).__name__}: {exc}"[:160])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter loads, 300 agents, 100,000 rows")
    args = parser.parse_args()
    print_table(capacity_rows(args.quick))


if __name__ == "__main__":
    main()

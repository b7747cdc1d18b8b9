"""Realistic call histories for tests and benchmarks: repeat callers, a class mix, durations.

Deterministic for a seed. `calls()` yields rows for the store's `calls` table; `load()` bulk
inserts them into a store database; `history_db()` builds a database of N calls once and caches the
file by its parameters, so repeated benchmark runs reuse it.

The shape, roughly what a hotline sees:
- Chinese mobile numbers in E.164; about 1 % of calls withheld (class `unknown`).
- Callers follow a Zipf-like law: most numbers call once or twice a year, a few call daily.
- A number's class is sticky (a nuisance caller stays one), and numbers are picked for the
  no-value and non-regular classes until they carry ~8 % and ~7 % of the calls.
- Talk time log-normal (median ~2.5 min), 4 % missed, agents end ~30 % of regular calls and
  ~70 % of the others; calls spread uniformly over `days` before `now`, 50 agents.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import random
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hangup_coach.store.db import open_db

GENERATOR_VERSION = 2   # part of the cache key: bump it when the rows change
NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)

# class → (share of calls, sub-reasons with their weights)
CLASS_TARGETS = {
    "no_value": (0.08, {"harassment": 4, "abuse": 2, "out_of_scope": 2}),
    "non_regular": (0.07, {"closed_case": 4, "must_visit_branch": 3}),
}
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "158",
                   "159", "170", "176", "177", "180", "181", "186", "187", "188", "189", "199")
WITHHELD_SHARE = 0.01


def numbers(rng: random.Random, count: int) -> list[str]:
    return [f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}" for _ in range(count)]


def _sticky_classes(rng: random.Random, pool: list[str], weights: list[float]) -> dict[str, tuple[str, str]]:
    """Give numbers, in random order, a sticky class until each class carries its share of calls."""
    total = sum(weights)
    order = list(range(len(pool)))
    rng.shuffle(order)
    sticky, taken = {}, iter(order)
    for cls, (share, subs) in CLASS_TARGETS.items():
        carried = 0.0
        for i in taken:
            if carried >= share * total:
                break
            if weights[i] > share * total / 20:
                continue   # no single number may carry more than 1/20 of a class
            sticky[pool[i]] = (cls, rng.choices(list(subs), weights=list(subs.values()))[0])
            carried += weights[i]
    return sticky


COLUMNS = ("id", "agent_id", "caller_number", "caller_raw", "line_call_id", "started_at", "answered_at",
           "ended_at", "ended_by", "caller_class", "sub_reason", "class_source", "explanations", "warnings",
           "closure_confirmed_at", "hangup_allowed_at", "hangup_prompted_at", "customer_hung_up_in_grace",
           "agent_ended_early", "disposition", "wrapped_up_at", "updated_at")


def calls(n: int, days: int = 365, agents: int = 50, seed: int = 1, now: datetime = NOW):
    """Yield `n` rows (dicts) for the `calls` table, oldest first, spread over `days` before `now`."""
    for values in _rows(n, days, agents, seed, now):
        yield dict(zip(COLUMNS, values))


def _rows(n: int, days: int, agents: int, seed: int, now: datetime):
    """The rows as tuples in COLUMNS order (a million dicts would double the load time)."""
    rng = random.Random(seed)
    rand = rng.random   # bound once: this loop runs a million times
    pool = numbers(rng, max(10, n // 3))
    weights = [1 / (rank + 30) ** 1.1 for rank in range(len(pool))]
    sticky = _sticky_classes(rng, pool, weights)
    callers = rng.choices(pool, cum_weights=list(itertools.accumulate(weights)), k=n)
    end = int(now.timestamp())
    # Oldest first, as a store fills up: the time indexes then grow at their end.
    starts = sorted(end - 1 - int(rand() * days * 86400) for _ in range(n))
    iso = _iso_cache()
    for i, (number, started) in enumerate(zip(callers, starts)):
        if rand() < WITHHELD_SHARE:
            number, cls, sub = None, "unknown", ""
        else:
            cls, sub = sticky.get(number, ("regular", ""))
        regular = cls in ("regular", "unknown")
        answered = rand() > 0.04
        if answered:
            ended = started + 8 + int(rng.lognormvariate(5.0, 0.7))   # ring 8 s, talk median ~150 s
            roll = rand()
            by = "agent" if roll < (0.3 if regular else 0.7) else ("customer" if roll < 0.985 else "system")
        else:
            ended, by = started + 5 + int(rand() * 35), "customer"
        ended = min(ended, end)
        early = int(by == "agent" and regular and rand() < 0.05)
        confirmed = answered and regular and not early and rand() < 0.8
        in_grace = int(confirmed and by == "customer" and rand() < 0.7)
        ended_at, wrapped_at = iso(ended), iso(ended + 20)
        allowed_at = ended_at if confirmed and not in_grace else None
        yield (
            f"h{seed:x}-{i:08x}", str(1001 + int(rand() * agents)),
            number, number[3:] if number else "anonymous", f"sip-{seed:x}-{i:08x}",
            iso(started), iso(started + 8) if answered else None, ended_at, by,
            cls, sub, "agent" if not regular and rand() < 0.1 else "auto",
            1 + int(rand() * 4) if cls == "non_regular" else 0, int(cls == "no_value" and answered),
            iso(ended - 2) if confirmed else None, allowed_at, allowed_at, in_grace, early,
            ("resolved" if regular else "explained") if answered else "missed", wrapped_at, wrapped_at,
        )


def _iso_cache():
    """Epoch seconds → the store's UTC ISO-8601 text, from a date part made once per day and a
    table of the 86,400 times of day (formatting each timestamp afresh is most of the cost)."""
    days: dict[int, str] = {}
    times = [f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000+00:00" for s in range(86400)]

    def iso(t: int) -> str:
        day, sec = divmod(t, 86400)
        prefix = days.get(day)
        if prefix is None:
            prefix = days[day] = datetime.fromtimestamp(day * 86400, timezone.utc).strftime("%Y-%m-%d")
        return prefix + times[sec]
    return iso


def load(db_path: Path, n: int, days: int = 365, agents: int = 50, seed: int = 1, batch: int = 20_000,
         rows=None) -> None:
    """Create a store database at `db_path` (the app's own migrations) and insert `n` generated calls.

    Built for speed, since a benchmark needs a million rows: another process generates the rows
    while this one inserts them (each takes about as long), `executemany` in batches on the
    sqlite-utils connection (`table.insert_all()` checks every value for JSON conversion, about
    twice as slow), one unsynced transaction, and the table's indexes dropped during the load and
    recreated from their own SQL after it. The store's CHECK constraints still apply.
    `rows` is another row generator with `_rows`' signature (tests/support/review_history.py).
    """
    db = open_db(db_path)
    db.execute("PRAGMA synchronous = OFF")     # throwaway test data, not an agent's notes
    db.execute("PRAGMA foreign_keys = OFF")    # only `calls` is written; nothing references a new row
    db.execute("PRAGMA cache_size = -400000")  # 400 MB
    indexes = list(db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL"))
    insert = f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    chunks = _generated_in_parallel if n >= 100_000 and os.name == "posix" else _generated_here
    with db.atomic():
        for name, _ in indexes:
            db.execute(f"DROP INDEX {name}")
        for chunk in chunks(batch, n, days, agents, seed, rows or _rows):
            db.conn.executemany(insert, chunk)
        for _, sql in indexes:
            db.execute(sql)
    db.execute("PRAGMA analysis_limit = 1000")
    db.execute("ANALYZE")   # the planner statistics a long-used store has (PRAGMA optimize)
    db.conn.close()


def _generated_here(batch: int, n: int, days: int, agents: int, seed: int, make_rows=None):
    rows = (make_rows or _rows)(n, days, agents, seed, NOW)
    while chunk := list(itertools.islice(rows, batch)):
        yield chunk


def _generated_in_parallel(batch: int, n: int, days: int, agents: int, seed: int, make_rows=None):
    """The same chunks, made by a forked process while the caller inserts the previous ones.
    The child only runs `_rows` (pure Python, no Qt), so forking a process with Qt running is safe."""
    chunks = multiprocessing.get_context("fork").Queue(maxsize=4)

    def produce() -> None:
        for chunk in _generated_here(batch, n, days, agents, seed, make_rows):
            chunks.put(chunk)
        chunks.put([])   # the end

    producer = multiprocessing.get_context("fork").Process(target=produce, daemon=True)
    producer.start()
    try:
        while True:
            try:
                chunk = chunks.get(timeout=1)
            except queue.Empty:
                if not producer.is_alive():
                    raise RuntimeError(f"the row generator died (exit code {producer.exitcode})") from None
                continue
            if not chunk:
                return
            yield chunk
    finally:
        producer.kill()
        producer.join()


def history_db(n: int, days: int = 365, agents: int = 50, seed: int = 1) -> Path:
    """A cached database of `n` generated calls (built once per parameter set; copy it before writing)."""
    cache = Path(os.environ.get("HANGUP_COACH_BENCH_CACHE", Path(tempfile.gettempdir()) / "hangup-coach-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"history-v{GENERATOR_VERSION}-{n}-{days}-{agents}-{seed}.db"
    if not path.exists():
        partial = cache / f"{path.stem}.{os.getpid()}.partial"
        load(partial, n, days, agents, seed)
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        os.replace(partial, path)   # atomic: a parallel run sees a whole file or none
    return path

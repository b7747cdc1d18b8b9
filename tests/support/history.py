"""Realistic call histories for tests and benchmarks: repeat callers, a class mix, durations.

Deterministic for a seed. `history_db()` builds a store database of N calls once and caches
the file by its parameters, so repeated benchmark runs reuse it.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hangup_coach.store.db import open_db

# class, sub-reason, share of calls (a centre where most callers are ordinary)
CLASS_MIX = (
    ("regular", "", 0.85),
    ("no_value", "harassment", 0.04), ("no_value", "abuse", 0.02), ("no_value", "out_of_scope", 0.02),
    ("non_regular", "closed_case", 0.04), ("non_regular", "must_visit_branch", 0.03),
)
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "158",
                   "159", "170", "176", "177", "180", "181", "186", "187", "188", "189", "199")


def numbers(rng: random.Random, count: int) -> list[str]:
    return [f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}" for _ in range(count)]


def calls(n: int, days: int = 365, agents: int = 50, seed: int = 1, now: datetime | None = None):
    """Yield `n` rows for the `calls` table, spread over `days` before `now`.

    Callers follow a Zipf-like law (a few numbers call very often), and a number's class is
    sticky: nuisance and non-regular callers are the repeat callers.
    """
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 23, tzinfo=timezone.utc)
    pool = numbers(rng, max(10, n // 20))
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(pool))))
    # A few numbers are nuisance or non-regular callers; their class sticks across their calls.
    sticky = {num: rng.choices(CLASS_MIX[1:], weights=[c[2] for c in CLASS_MIX[1:]])[0][:2]
              for num in rng.sample(pool, max(1, len(pool) // 12))}
    span = days * 86400
    callers = rng.choices(pool, cum_weights=cumulative, k=n)
    for i, number in enumerate(callers):
        cls, sub = sticky.get(number, ("regular", ""))
        started = now - timedelta(seconds=rng.randrange(span))
        answered = rng.random() > 0.04
        talk = int(rng.lognormvariate(5.0, 0.7))            # median ~150 s
        ended = started + timedelta(seconds=(8 + talk) if answered else rng.randrange(5, 40))
        by = ("agent" if rng.random() < (0.3 if cls == "regular" else 0.7) else "customer") if answered else "customer"
        stamp = ended.isoformat(timespec="milliseconds")
        yield {
            "id": f"{seed:x}-{i:x}",
            "agent_id": f"{1000 + rng.randrange(agents)}",
            "caller_number": number, "caller_raw": number, "line_call_id": f"h{i}",
            "started_at": started.isoformat(timespec="milliseconds"),
            "answered_at": (started + timedelta(seconds=8)).isoformat(timespec="milliseconds") if answered else None,
            "ended_at": stamp, "ended_by": by, "close_reason": "",
            "caller_class": cls, "sub_reason": sub, "class_reason": "", "class_reason_key": "",
            "class_source": "auto", "explanations": rng.randrange(4) if cls == "non_regular" else 0,
            "warnings": 1 if cls == "no_value" else 0,
            "closure_confirmed_at": None, "hangup_allowed_at": None, "hangup_prompted_at": None,
            "customer_hung_up_in_grace": int(by == "customer" and rng.random() < 0.2),
            "agent_ended_early": int(by == "agent" and rng.random() < 0.05),
            "disposition": "resolved" if answered else "missed", "wrapped_up_at": stamp, "updated_at": stamp,
        }


def load(db_path: Path, n: int, days: int = 365, agents: int = 50, seed: int = 1) -> None:
    """Bulk load in one transaction, unsynced: this is throwaway test data, not an agent's notes."""
    db = open_db(db_path)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -400000")  # 400 MB: keeps the index B-trees in memory while loading
    rows = calls(n, days, agents, seed)
    first = next(rows)
    columns = list(first)
    sql = f"INSERT INTO calls ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    with db.atomic():
        db.conn.executemany(sql, (tuple(r.values()) for r in itertools.chain([first], rows)))
    db.conn.close()


def history_db(n: int, days: int = 365, agents: int = 50, seed: int = 1) -> Path:
    """A cached database of `n` generated calls (built once per parameter set)."""
    cache = Path(os.environ.get("HANGUP_COACH_BENCH_CACHE", Path(tempfile.gettempdir()) / "hangup-coach-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"history-{n}-{days}-{agents}-{seed}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in cache.glob(partial.name + "*"):
            leftover.unlink()
        load(partial, n, days, agents, seed)
        shutil.move(partial, path)
    return path

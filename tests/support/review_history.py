"""A year of a team's calls around the day the centre adopted the hang-up policy (dashboard data).

Deterministic for a seed, cached by its parameters like `history.history_db()`. Built on the
same callers (Zipf-like repeat callers, sticky classes, withheld numbers) with what the card
records around the policy, and a policy start `POLICY_START` (the shipped `[review]` date):

- before the start agents end ~18 % of the calls they or the customer end (the seed's 18 : 82);
  afterwards each agent adopts the policy over about six weeks, at their own pace;
- regular calls: closure confirmed in ~85 %, the customer leaves inside the 2-second wait in
  about half of those, otherwise the agent ends after the prompt (more often after the start)
  or the customer goes on talking; a few agents hang up before closure (early, for QA);
- non-regular: explanations given at ~45 s intervals, the 3rd allows the polite end; fewer
  extra explanations once the policy is in force;
- no-value: one warning allows ending; ended sooner after the start;
- calls start in the centre's business hours (08:00–21:00, UTC+8), fewer at weekends;
- `feedback` gets a satisfaction score for 1 call in 20 and a complaint for ~0.5 % of calls.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from hangup_coach.store.db import open_db

from . import history

VERSION = 1
POLICY_START = date(2026, 6, 1)
UTC_OFFSET_HOURS = 8
ADOPTION_DAYS = 42


def _rows(n: int, days: int, agents: int, seed: int, now: datetime):
    rng = random.Random(seed)
    rand, lognorm, expo = rng.random, rng.lognormvariate, rng.expovariate
    pool = history.numbers(rng, max(10, n // 3))
    weights = [1 / (rank + 30) ** 1.1 for rank in range(len(pool))]
    sticky = history._sticky_classes(rng, pool, weights)
    callers = rng.choices(pool, cum_weights=list(itertools.accumulate(weights)), k=n)
    pace = [0.6 + 0.6 * rng.random() for _ in range(agents)]       # how fully each agent adopts
    end = int(now.timestamp())
    first_day = end // 86400 - days
    start_day = (datetime.combine(POLICY_START, datetime.min.time(), timezone.utc).timestamp()) // 86400
    day_weights = [0.6 if date.fromordinal(date(1970, 1, 1).toordinal() + first_day + d).weekday() >= 5 else 1.0
                   for d in range(days)]
    day_picks = rng.choices(range(days), cum_weights=list(itertools.accumulate(day_weights)), k=n)
    starts = sorted((first_day + d) * 86400 + int(rng.triangular(8, 21, 10.5) * 3600) - UTC_OFFSET_HOURS * 3600
                    for d in day_picks)
    iso = history._iso_cache()
    before_n = [10, 14, 18, 20, 16, 12, 10]   # explanations 1…7 before the policy, and after it
    after_n = [12, 16, 40, 20, 7, 3, 2]
    for i, (number, started) in enumerate(zip(callers, starts)):
        started = min(started, end - 600)
        agent = int(rand() * agents)
        adoption = min(1.0, max(0.0, (started // 86400 - start_day) / ADOPTION_DAYS)) * pace[agent]
        if rand() < history.WITHHELD_SHARE:
            number, cls, sub = None, "unknown", ""
        else:
            cls, sub = sticky.get(number, ("regular", ""))
        answered = started + 4 + int(rand() * 12)
        explanations = warnings = in_grace = early = 0
        closure = allowed = None
        if rand() < 0.04:                                   # the caller gives up while it rings
            answered, ended, by = None, started + 5 + int(rand() * 35), "customer"
        elif cls in ("regular", "unknown"):
            served = answered + 20 + int(lognorm(4.9, 0.6))  # talk until the need is met, median ~2.5 min
            roll = rand()
            if roll < 0.006 + 0.02 * adoption:              # agent hangs up before closure (early)
                ended, by, early = answered + int((served - answered) * rand()), "agent", 1
            elif roll < 0.85:
                closure = served
                if rand() < 0.5:                            # the customer leaves inside the 2 s
                    ended, by, in_grace = closure + int(rand() * 2), "customer", 1
                elif rand() < 0.01:                         # the agent does not wait the 2 s out
                    ended, by, early = closure + 1, "agent", 1
                else:
                    allowed = closure + 2
                    if rand() < 0.40 + 0.50 * adoption:
                        ended, by = allowed + 1 + int(expo(1 / (2 + 6 * (1 - adoption)))), "agent"
                    else:
                        ended, by = allowed + int(lognorm(2.6, 0.9)), "customer"
            else:
                ended = served + int(rand() * 10)
                by = "customer" if rand() < 0.9 else ("system" if rand() < 0.7 else "unknown")
        elif cls == "non_regular":
            step = 20 + int(lognorm(3.3, 0.4))               # ~45 s per explanation
            mix = [(1 - adoption) * b + adoption * a for b, a in zip(before_n, after_n)]
            explanations = rng.choices(range(1, 8), weights=mix)[0]
            if explanations >= 3:
                allowed = answered + 3 * step
            last = answered + explanations * step
            if allowed is not None and rand() < 0.25 + 0.6 * adoption:
                ended, by = last + 3 + int(expo(1 / 15)), "agent"
            else:
                ended, by = last + 10 + int(expo(1 / (40 + 60 * (1 - adoption)))), "customer"
        else:                                                # no-value
            roll = rand()
            warnings = 0 if roll < 0.15 else (1 if roll < 0.85 else 2)
            first_warning = answered + 10 + int(lognorm(3.0, 0.5))
            if warnings:
                allowed = first_warning
                if rand() < 0.35 + 0.55 * adoption:
                    ended, by = allowed + 2 + int(expo(1 / (8 + 80 * (1 - adoption)))), "agent"
                else:
                    ended, by = allowed + 5 + int(expo(1 / (30 + 90 * (1 - adoption)))), "customer"
            else:
                ended, by = first_warning, "customer"
        ended = min(ended, end)
        answered_at = iso(answered) if answered else None
        allowed_at = iso(allowed) if allowed is not None and allowed <= ended else None
        if allowed_at is None:
            allowed = None
        if by == "agent" and answered and allowed is None:
            early = 1
        wrapped = iso(ended + 15)
        yield (
            f"r{seed:x}-{i:08x}", str(1001 + agent), number, number[3:] if number else "anonymous",
            f"sip-r{seed:x}-{i:08x}", iso(started), answered_at, iso(ended), by, cls, sub,
            "agent" if cls in ("no_value", "non_regular") and rand() < 0.1 else "auto",
            explanations, warnings, iso(closure) if closure is not None else None, allowed_at, allowed_at,
            in_grace, early,
            ("missed" if not answered else "resolved" if cls in ("regular", "unknown") else
             "warned_and_ended" if cls == "no_value" else "explained"), wrapped, wrapped,
        )


FEEDBACK_SQL = """
INSERT INTO feedback (call_id, day, score, complaint, source, imported_at)
SELECT id, date(started_at, '+8 hours'),
  CASE WHEN rowid % 20 = 0 THEN
    CASE WHEN (rowid * 7919) % 100 < 58 - 6 * agent_ended_early THEN 5
         WHEN (rowid * 7919) % 100 < 84 THEN 4 WHEN (rowid * 7919) % 100 < 93 THEN 3
         WHEN (rowid * 7919) % 100 < 97 THEN 2 ELSE 1 END END,
  CASE WHEN (rowid * 104729) % 1000 < 5 + 20 * agent_ended_early THEN 1 END,
  'generated', '2026-11-23T00:00:00.000+00:00'
FROM calls WHERE answered_at IS NOT NULL
  AND (rowid % 20 = 0 OR (rowid * 104729) % 1000 < 5 + 20 * agent_ended_early)
"""


def review_db(n: int, days: int = 365, agents: int = 50, seed: int = 1) -> Path:
    """A cached database of `n` generated calls plus feedback (copy it before writing)."""
    cache = Path(os.environ.get("HANGUP_COACH_BENCH_CACHE", Path(tempfile.gettempdir()) / "hangup-coach-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"review-v{VERSION}-{n}-{days}-{agents}-{seed}.db"
    if not path.exists():
        partial = cache / f"{path.stem}.{os.getpid()}.partial"
        history.load(partial, n, days, agents, seed, rows=_rows)
        db = open_db(partial)
        db.execute(FEEDBACK_SQL)
        db.conn.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        os.replace(partial, path)
    return path

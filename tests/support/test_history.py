"""The shared history generator: deterministic, realistic, and valid for the store's schema."""

from collections import Counter

from hangup_coach.app.resources import load_policy
from hangup_coach.core.callers import CallerClass
from hangup_coach.core.classify import classify
from hangup_coach.core.phone import normalise
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

from . import history


def test_the_same_seed_gives_the_same_calls():
    assert list(history.calls(2000, seed=7)) == list(history.calls(2000, seed=7))
    assert list(history.calls(2000, seed=7)) != list(history.calls(2000, seed=8))


def test_calls_look_like_a_hotline():
    rows = list(history.calls(20_000, days=90))
    per_number = Counter(r["caller_number"] for r in rows if r["caller_number"])
    assert per_number.most_common(1)[0][1] >= 30                    # a few numbers call very often
    assert sum(1 for c in per_number.values() if c == 1) > len(per_number) / 3   # many call once
    share = Counter(r["caller_class"] for r in rows)
    assert 0.80 < share["regular"] / len(rows) < 0.90
    assert 0.05 < share["no_value"] / len(rows) < 0.11 and 0.04 < share["non_regular"] / len(rows) < 0.10
    assert {r["sub_reason"] for r in rows} == {"", "harassment", "abuse", "out_of_scope", "closed_case",
                                               "must_visit_branch"}
    assert all(r["caller_number"] is None or (r["caller_number"].startswith("+861") and len(r["caller_number"]) == 14)
               for r in rows)
    assert {r["ended_by"] for r in rows} == {"agent", "customer", "system"}
    assert [r["started_at"] for r in rows] == sorted(r["started_at"] for r in rows)


def test_loaded_history_fits_the_schema_and_classifies_into_every_class(tmp_path):
    path = tmp_path / "h.db"
    history.load(path, 3000, days=30, seed=3)      # the table's CHECK constraints reject a bad row
    store = CallStore(open_db(path))
    assert store.db.table("calls").count == 3000
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {r["name"] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")} >= {
        "idx_calls_number_started", "idx_calls_started", "idx_calls_open"}   # recreated after the load
    policy = load_policy()
    numbers = [r["caller_number"] for r in store.db.query("SELECT DISTINCT caller_number FROM calls")]
    found = {classify(normalise(n), store.history(n, history.NOW, policy.history_days) if n else None,
                      policy, history.NOW).caller_class
             for n in numbers}
    assert found == {CallerClass.REGULAR, CallerClass.NO_VALUE, CallerClass.NON_REGULAR, CallerClass.UNKNOWN}


def test_history_db_is_built_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("HANGUP_COACH_BENCH_CACHE", str(tmp_path))
    first = history.history_db(500, days=10)
    built = first.stat().st_mtime_ns
    assert history.history_db(500, days=10) == first and first.stat().st_mtime_ns == built
    assert history.history_db(600, days=10) != first

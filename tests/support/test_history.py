from collections import Counter

from hangup_coach.app.resources import load_policy
from hangup_coach.core.callers import CallerClass
from hangup_coach.core.classify import classify
from hangup_coach.core.phone import normalise
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

from . import history


def test_generator_is_deterministic_and_realistic():
    first = list(history.calls(2000, seed=7))
    assert first == list(history.calls(2000, seed=7))
    assert first != list(history.calls(2000, seed=8))
    per_number = Counter(r["caller_number"] for r in first)
    assert per_number.most_common(1)[0][1] >= 20          # repeat callers exist
    classes = Counter(r["caller_class"] for r in first)
    assert 0.7 < classes["regular"] / len(first) < 0.97 and classes["no_value"] and classes["non_regular"]


def test_generated_rows_fit_the_schema_and_classify_into_every_class(tmp_path):
    path = tmp_path / "h.db"
    history.load(path, 3000, days=30, seed=3)      # the CHECK constraints reject a bad row
    store = CallStore(open_db(path))
    assert store.db.table("calls").count == 3000
    now = history.calls(1).__next__  # noqa: F841 (the generator's "now" is its default)
    policy = load_policy()
    from datetime import datetime, timezone
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    found = {
        classify(normalise(n), store.history(n, now, policy.history_days), policy, now).caller_class
        for n in {r["caller_number"] for r in store.db.query("SELECT DISTINCT caller_number FROM calls")}
    }
    assert {CallerClass.REGULAR, CallerClass.NO_VALUE, CallerClass.NON_REGULAR} <= found

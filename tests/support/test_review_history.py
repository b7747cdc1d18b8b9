"""The dashboard's generated year: deterministic, and shaped around the policy's start."""

from datetime import date

from hangup_coach.app.resources import load_policy
from hangup_coach.store.db import open_db
from hangup_coach.store.reports import ReportQuery, build_report

from . import history, review_history


def test_the_same_seed_gives_the_same_year():
    rows = lambda seed: list(review_history._rows(3000, 365, 50, seed, history.NOW))  # noqa: E731
    assert rows(3) == rows(3) and rows(3) != rows(4)


def test_agents_end_about_18_percent_before_the_policy_and_more_after(tmp_path, monkeypatch):
    monkeypatch.setenv("HANGUP_COACH_BENCH_CACHE", str(tmp_path))
    db = open_db(review_history.review_db(30_000))
    assert review_history.POLICY_START == load_policy().policy_start   # the shipped [review] date
    r = build_report(db, ReportQuery(date(2025, 11, 23), date(2026, 11, 22), utc_offset_minutes=480), load_policy())
    assert r.total.calls == 30_000 and len(r.agents) == 50
    assert 0.15 < r.before.agent_share < 0.21 and r.after.agent_share > 0.3
    assert r.feedback.scores_before.n > 0 and r.feedback.complaints_after > 0

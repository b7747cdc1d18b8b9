import sqlite3
from datetime import timedelta

import pytest

from hangup_coach.core.callers import CallerClass, EndedBy, SubReason
from hangup_coach.core.classify import classify
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.core.phone import normalise
from hangup_coach.app.resources import load_policy
from hangup_coach.store.calls import NOTE_LIMIT, CallStore, NoteTooLong
from hangup_coach.store.db import MIGRATIONS, StoreError, open_db

NOW = FakeClock().now()


def record(n=1, number="+8613800138000", **kw):
    values = dict(id=f"call-{n}", agent_id="1024", caller_number=number, caller_raw=number, line_call_id=f"l{n}",
                  started_at=NOW - timedelta(minutes=n), updated_at=NOW, caller_class="regular")
    values.update(kw)
    return CallRecord(**values)


def test_migrations_create_the_schema_once(tmp_path):
    path = tmp_path / "c.db"
    open_db(path).conn.close()
    db = open_db(path)
    assert {"calls", "notes", "caller_profiles", "blocklist"} <= set(db.table_names())
    applied = [r["name"] for r in db.query("SELECT name FROM _sqlite_migrations")]
    assert applied == sorted(set(applied)) and len(applied) == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1   # NORMAL; notes commit with FULL


def test_call_round_trip(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    original = record(answered_at=NOW, ended_at=NOW + timedelta(seconds=90), ended_by=EndedBy.AGENT.value,
                      agent_ended_early=True, customer_hung_up_in_grace=False, explanations=2)
    store.save_call(original)
    assert store.get_call("call-1") == original
    original.disposition = "resolved"
    store.save_call(original)                        # an upsert, not a second row
    assert [r["disposition"] for r in store.list_calls()] == ["resolved"]


def test_the_schema_refuses_values_outside_the_documented_sets(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    with pytest.raises(sqlite3.IntegrityError):
        store.save_call(record(ended_by="the cat"))


def test_open_calls_are_those_not_wrapped_up(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    store.save_call(record(1))
    store.save_call(record(2, ended_at=NOW, ended_by="customer"))
    store.save_call(record(3, ended_at=NOW, ended_by="customer", disposition="resolved", wrapped_up_at=NOW))
    assert [r.id for r in store.open_calls()] == ["call-2", "call-1"]


def test_history_feeds_classification(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    number = "+8613700007777"
    store.save_call(record(1, number, started_at=NOW - timedelta(days=2), caller_class="no_value", sub_reason="abuse",
                           warnings=1))   # the agent's judgement, not the coach's guess, is the evidence
    store.save_call(record(2, number, started_at=NOW - timedelta(days=90), caller_class="no_value", sub_reason="abuse"))
    history = store.history(number, NOW, 30)
    assert len(history.past_calls) == 1
    found = classify(normalise(number), history, load_policy(), NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.ABUSE)
    assert history.past_calls[0].warnings == 1 and history.past_calls[0].class_source == "auto"


def test_profiles_and_blocklist_reach_the_history(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    store.save_profile("+8613912345678", "1234", NOW - timedelta(days=3), now=NOW)
    store.db.table("blocklist").insert({"id": "b1", "number": "+8613912345678", "scope": "week", "reason": "harassment",
                                        "status": "active", "created_at": NOW.isoformat()})
    history = store.history("+8613912345678", NOW, 30)
    assert history.profile.case_id == "1234" and history.block.state == "active"
    assert classify(normalise("+8613912345678"), history, load_policy(), NOW).sub_reason is SubReason.HARASSMENT


def test_notes_are_one_row_per_call_and_updated_in_place(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    store.save_call(record())
    store.save_note("call-1", "first", NOW)
    store.save_note("call-1", "first and more", NOW + timedelta(seconds=1))
    rows = list(store.db.query("SELECT * FROM notes"))
    assert len(rows) == 1 and rows[0]["text"] == "first and more" and rows[0]["created_at"] < rows[0]["updated_at"]


def test_a_note_over_the_limit_is_refused_and_the_last_one_kept(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    store.save_call(record())
    store.save_note("call-1", "kept", NOW)
    with pytest.raises(NoteTooLong, match="limit"):
        store.save_note("call-1", "x" * (1024 * 1024), NOW)
    assert store.note("call-1") == "kept"
    store.save_note("call-1", "y" * NOTE_LIMIT, NOW)
    assert len(store.note("call-1")) == NOTE_LIMIT


def test_a_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "c.db"
    path.write_bytes(b"garbage, not a database " * 200)
    with pytest.raises(StoreError, match=str(path)):
        open_db(path)


def test_database_file_is_private(tmp_path):
    path = tmp_path / "c.db"
    open_db(path)
    assert path.stat().st_mode & 0o077 == 0


def test_finding_open_calls_uses_the_index(tmp_path):
    db = open_db(tmp_path / "c.db")
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM calls WHERE ended_at IS NULL OR wrapped_up_at IS NULL ORDER BY started_at"))
    assert "USING INDEX idx_calls_open" in plan   # walks only the few open calls, not the table

"""`hangup-coach recover`: IT merges a kept-aside database or journal into the agent's current file,
with a dry run that lists what it would add and changes nothing."""

import os
import subprocess
import sys
from datetime import timedelta

from hangup_coach.app.journal import UnsavedJournal
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

NOW = FakeClock().now()


def record(n, minutes_ago=10, **kw):
    values = dict(id=f"call-{n}", agent_id="1024", caller_number="+8613800138000", caller_raw="13800138000",
                  line_call_id=f"l{n}", started_at=NOW - timedelta(minutes=minutes_ago), updated_at=NOW,
                  caller_class="regular")
    values.update(kw)
    return CallRecord(**values)


def recover(home, *args):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "hangup_coach", "recover", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def rows(db, sql):
    store = CallStore(open_db(db))
    try:
        return [tuple(r.values()) for r in store.db.query(sql)]
    finally:
        store.db.conn.close()


def test_a_kept_aside_database_is_merged_after_a_dry_run_that_lists_it(tmp_path):
    current, aside = tmp_path / "calls.db", tmp_path / "calls.db.damaged-20261203-101500"
    new = CallStore(open_db(current))
    new.save_call(record(1, explanations=2))                         # the newer version of call-1
    new.db.conn.close()
    old = CallStore(open_db(aside))
    old.save_call(record(1, updated_at=NOW - timedelta(minutes=5)))  # older: stays as it is
    old.save_call(record(2))
    old.save_note("call-2", "只在旧文件里的记录", NOW)
    old.db.conn.close()
    before = aside.read_bytes()

    dry = recover(tmp_path, str(aside), "--db", str(current), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would add call call-2 (138****8000)" in dry.stdout and "would add note call-2" in dry.stdout
    assert "call-1" not in dry.stdout and "13800138000" not in dry.stdout
    assert rows(current, "SELECT id FROM calls") == [("call-1",)]   # nothing changed

    done = recover(tmp_path, str(aside), "--db", str(current))
    assert done.returncode == 0, done.stderr and "added 1 call(s)" in done.stdout
    assert rows(current, "SELECT id, explanations FROM calls ORDER BY id") == [("call-1", 2), ("call-2", 0)]
    assert rows(current, "SELECT call_id, text FROM notes") == [("call-2", "只在旧文件里的记录")]
    assert rows(current, "SELECT count(*) FROM outbox WHERE kind = 'call' AND record_id = 'call-2'"
                         " AND version > acked_version") == [(1,)]                   # synced later
    assert aside.read_bytes() == before                                 # the source is only read
    again = recover(tmp_path, str(aside), "--db", str(current))
    assert "added 0 call(s)" in again.stdout and "0 note(s)" in again.stdout


def test_a_damaged_journal_is_merged_entry_by_entry(tmp_path):
    current = tmp_path / "calls.db"
    CallStore(open_db(current)).db.conn.close()
    kept = UnsavedJournal(tmp_path / "calls.db.unsaved.json.damaged")
    kept.write({"call-3": record(3).as_row(), "bad": {"id": "bad", "no": "such columns"}},
               {"call-3": {"text": "日志里的记录", "at": NOW}})
    done = recover(tmp_path, str(kept.path), "--db", str(current))
    assert done.returncode == 0, done.stderr
    assert "could not read: call" in done.stdout and "bad" in done.stdout
    assert rows(current, "SELECT c.id, n.text FROM calls c JOIN notes n ON n.call_id = c.id") == [("call-3", "日志里的记录")]


def test_a_source_that_is_neither_is_refused(tmp_path):
    (tmp_path / "junk").write_text("not a database, not a journal")
    result = recover(tmp_path, str(tmp_path / "junk"), "--db", str(tmp_path / "calls.db"))
    assert result.returncode == 2 and "neither a call database nor a readable journal" in result.stderr

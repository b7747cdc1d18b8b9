"""Schema 0005 and the outbox: every change carries its outbox entry, in the same transaction."""

import random
import signal
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.store import outbox
from hangup_coach.store.calls import CallStore, iso
from hangup_coach.store.db import open_db

NOW = FakeClock().now()
WRITER = Path(__file__).with_name("_call_writer.py")


def record(n=1, number="+8613800138000", **kw):
    values = dict(id=f"call-{n}", agent_id="1024", caller_number=number, caller_raw=number, line_call_id=f"l{n}",
                  started_at=NOW - timedelta(minutes=n), updated_at=NOW, caller_class="regular")
    values.update(kw)
    return CallRecord(**values)


@pytest.fixture
def store(tmp_path):
    s = CallStore(open_db(tmp_path / "c.db"))
    yield s
    s.db.conn.close()


def outbox_rows(db):
    return {(r["kind"], r["record_id"]): (r["version"], r["acked_version"])
            for r in db.query("SELECT * FROM outbox")}


def test_schema_has_a_device_id_and_sync_columns(store):
    db = store.db
    assert uuid.UUID(outbox.device_id(db))
    assert {"version", "updated_at"} <= set(db["calls"].columns_dict)
    assert {"version", "updated_at"} <= set(db["notes"].columns_dict)
    assert "updated_at" in db["blocklist"].columns_dict
    assert {"outbox", "sync_meta", "team_calls", "team_notes", "blocklist_audit"} <= set(db.table_names())


def test_each_save_counts_a_version_and_queues_it(store):
    store.save_call(record(1))
    store.save_call(record(1, explanations=1))
    store.save_note("call-1", "first", NOW)
    store.save_note("call-1", "second", NOW)
    note_id = store.db.execute("SELECT id FROM notes").fetchone()[0]
    assert outbox_rows(store.db) == {("call", "call-1"): (2, 0), ("note", note_id): (2, 0)}
    assert outbox.pending_count(store.db) == 2
    pushed = outbox.records(store.db, outbox.pending(store.db))
    assert [(r["kind"], r["version"]) for r in pushed] == [("call", 2), ("note", 2)]
    assert pushed[0]["data"]["explanations"] == 1 and "version" not in pushed[0]["data"]
    assert pushed[1]["data"] == {"call_id": "call-1", "text": "second", "created_at": iso(NOW), "updated_at": iso(NOW)}


def test_only_acknowledged_versions_leave_the_outbox(store):
    store.save_call(record(1))
    store.save_call(record(2))
    outbox.mark_acked(store.db, [("call", "call-1", 1), ("call", "call-9", 1), ("call", "call-2", 7)], iso(NOW))
    assert outbox_rows(store.db) == {("call", "call-1"): (1, 1), ("call", "call-2"): (1, 0)}
    store.save_call(record(1, warnings=1))        # changed again after the ack: pending again
    assert [e.record_id for e in outbox.pending(store.db)] == ["call-1", "call-2"]
    outbox.mark_acked(store.db, [("call", "call-1", 1)], iso(NOW))   # a late duplicate ack of v1
    assert outbox_rows(store.db)[("call", "call-1")] == (2, 1)


def test_a_refused_version_is_kept_and_sent_again_once_changed(store):
    store.save_call(record(1))
    outbox.mark_rejected(store.db, "call", "call-1", 1, "caller_number: not E.164")
    assert outbox.pending(store.db) == [] and outbox.rejected_count(store.db) == 1
    store.save_call(record(1, explanations=2))
    assert [(e.record_id, e.version) for e in outbox.pending(store.db)] == [("call-1", 2)]


def test_a_change_whose_outbox_entry_fails_is_not_stored(store):
    store.save_call(record(1))
    store.save_note("call-1", "kept", NOW)
    store.db.execute("CREATE TRIGGER fail_outbox BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'disk'); END")
    with pytest.raises(sqlite3.DatabaseError):
        store.save_call(record(1, explanations=5))
    with pytest.raises(sqlite3.DatabaseError):
        store.save_note("call-1", "lost with its entry", NOW)
    assert store.get_call("call-1").explanations == 0
    assert store.note("call-1") == "kept"
    assert store.db.execute("SELECT max(version) FROM calls").fetchone()[0] == 1


def test_kill_9_never_leaves_a_change_without_its_entry(tmp_path):
    path = tmp_path / "c.db"
    rng = random.Random(11)
    for _ in range(10):
        child = subprocess.Popen([sys.executable, str(WRITER), str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(rng.randint(1, 60)):
            if not child.stdout.readline():
                break
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        db = open_db(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every stored version of a call or note is the version its outbox entry carries
        for table, kind in (("calls", "call"), ("notes", "note")):
            rows = db.execute(f"SELECT t.id, t.version, o.version FROM {table} t"
                              " LEFT JOIN outbox o ON o.kind = ? AND o.record_id = t.id", [kind]).fetchall()
            assert rows and all(v == queued for _, v, queued in rows), rows
        db.conn.close()


def test_history_counts_team_calls_once_and_the_card_never_opens_them(store):
    store.save_call(record(1, caller_class="no_value", sub_reason="harassment"))
    team = {"agent_id": "2048", "caller_number": "+8613800138000", "caller_class": "no_value",
            "sub_reason": "abuse", "class_source": "agent", "updated_at": iso(NOW)}
    store.db["team_calls"].insert_all([
        dict(team, call_id="call-1", started_at=iso(NOW - timedelta(minutes=1))),   # our own call, echoed
        dict(team, call_id="t-2", started_at=iso(NOW - timedelta(days=2))),
        dict(team, call_id="t-old", started_at=iso(NOW - timedelta(days=40))),
        dict(team, call_id="t-other", caller_number="+8613900139000", started_at=iso(NOW)),
    ])
    past = store.history("+8613800138000", NOW, 30).past_calls
    assert [(p.started_at, p.sub_reason.value) for p in past] == [
        (NOW - timedelta(minutes=1), "harassment"), (NOW - timedelta(days=2), "abuse")]
    assert [c.id for c in store.open_calls()] == ["call-1"]


def test_blocklist_changes_are_audited_and_the_audit_is_append_only(store):
    row = {"id": "b1", "number": "+8613800138000", "scope": "week", "reason": "harassment",
           "status": "proposed", "created_at": iso(NOW)}
    store.db["blocklist"].insert(row)
    store.db.execute("UPDATE blocklist SET status = 'active', decided_by = 'lead-7' WHERE id = 'b1'")
    audit = [(r["action"], r["status"], r["decided_by"]) for r in store.db.query("SELECT * FROM blocklist_audit")]
    assert audit == [("insert", "proposed", ""), ("update", "active", "lead-7")]
    for sql in ("UPDATE blocklist_audit SET status = 'x'", "DELETE FROM blocklist_audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)


def test_calls_recorded_before_sync_become_the_first_backlog(tmp_path):
    from hangup_coach.store import db as dbmod
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations
    old = Migrations("hangup_coach")
    for name, fn in dbmod.MIGRATIONS[:3]:
        old(name=name)(fn)
    old.apply(Database(conn))
    conn.execute("INSERT INTO calls (id, started_at, caller_class, updated_at) VALUES ('c0', ?, 'regular', ?)",
                 [iso(NOW), iso(NOW)])
    conn.commit()
    conn.close()
    db = open_db(path)
    assert outbox_rows(db) == {("call", "c0"): (1, 0)}


def test_card_saves_never_fail_locked_while_the_sync_worker_writes_the_same_file(tmp_path):
    import threading
    path = tmp_path / "c.db"
    card = CallStore(open_db(path))
    for n in range(50):
        card.save_call(record(n))
    stop, failures = threading.Event(), []

    def sync_worker():   # its own connection, acking and re-queueing as fast as it can
        db = open_db(path)
        try:
            while not stop.is_set():
                acks = [("call", e.record_id, e.version) for e in outbox.pending(db)]
                outbox.mark_acked(db, acks, iso(NOW))
                outbox.resend_all(db)
        except Exception as exc:
            failures.append(exc)
        finally:
            db.conn.close()

    worker = threading.Thread(target=sync_worker)
    worker.start()
    try:
        for n in range(300):
            card.save_call(record(n % 50, explanations=n))
            card.save_note(f"call-{n % 50}", f"note {n}", NOW)
    finally:
        stop.set()
        worker.join()
    assert failures == []
    assert card.get_call("call-49").explanations == 299


def test_garbled_evidence_from_the_server_never_reaches_classification(store):
    from hangup_coach.store import pulled
    good = {"call_id": "t1", "agent_id": "2048", "started_at": iso(NOW - timedelta(days=1)),
            "caller_class": "no_value", "sub_reason": "abuse", "class_source": "agent", "warnings": 1,
            "explanations": 0, "disposition": None}
    bad = [dict(good, call_id="t2", caller_class="villain"), dict(good, call_id="t3", started_at="yesterday"),
           dict(good, call_id="t4", sub_reason=7), dict(good, call_id="t5", warnings="many"), "junk",
           dict(good, call_id="t6", started_at="2026-11-30T10:00:00")]   # no time zone
    assert pulled.apply_profile(store.db, {"number": "+8613800138000", "evidence": [good, *bad]}, iso(NOW)) == 1
    past = store.history("+8613800138000", NOW, 30).past_calls
    assert [(p.caller_class.value, p.sub_reason.value) for p in past] == [("no_value", "abuse")]


def test_a_blocklist_entry_that_breaks_the_local_rules_is_skipped_not_fatal(store):
    from hangup_coach.store import pulled
    good = {"id": "b1", "number": "+8613800138000", "scope": "week", "reason": "harassment",
            "status": "active", "created_at": iso(NOW)}
    assert pulled.apply_block(store.db, good)
    assert not pulled.apply_block(store.db, dict(good, id="b2", scope="forever"))
    assert not pulled.apply_block(store.db, dict(good, id="b3", reason=None))
    assert [r["id"] for r in store.db.query("SELECT id FROM blocklist")] == ["b1"]
    assert store.history("+8613800138000", NOW, 30).block.reason == "harassment"


def test_the_sync_connection_waits_out_a_card_write_that_holds_the_lock_for_seconds(tmp_path):
    import threading
    path = tmp_path / "c.db"
    card = CallStore(open_db(path))
    card.save_call(record(1))
    card.db.conn.close()
    sync_db = open_db(path)                   # the sync worker's own connection, as it opens it
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")         # a loaded machine: the card's commit takes 1.5 s
    started = threading.Event()
    result = []

    def ack():
        started.set()
        result.append(outbox.mark_acked(sync_db, [("call", "call-1", 1)], iso(NOW)))

    thread = threading.Thread(target=ack)
    thread.start()
    started.wait(10)
    thread.join(1.5)                          # it is still waiting for the lock, not failed
    holder.execute("ROLLBACK")
    holder.close()
    thread.join(30)
    assert result == [1]
    sync_db.conn.close()

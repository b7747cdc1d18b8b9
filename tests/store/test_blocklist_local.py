"""The card's side of the blocklist (issue 17): the local table's lifecycle migration, a proposal
queued through the outbox (offline first), and what the pull brings back."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from hangup_coach import wire
from hangup_coach.store import db as dbmod
from hangup_coach.store import outbox, pulled
from hangup_coach.store.calls import CallStore, iso
from hangup_coach.store.db import open_db

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
NUMBER = "+8613800138000"


def old_database(path, rows):
    """A file as a card before this issue left it (every migration up to the new one)."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations
    conn = sqlite3.connect(path)
    old = Migrations("hangup_coach")
    for name, fn in dbmod.MIGRATIONS:
        if name == "0010_blocklist_lifecycle":
            break
        old(name=name)(fn)
    old.apply(Database(conn))
    for row in rows:
        conn.execute("INSERT INTO blocklist (id, number, scope, reason, status, created_at, expires_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    conn.commit()
    conn.close()


def test_until_rows_get_the_seeds_scopes_and_the_audit_keeps_working(tmp_path):
    path = tmp_path / "old.db"
    at = iso(NOW)
    old_database(path, [
        ("u1", NUMBER, "until", "harassment", "active", at, iso(NOW + timedelta(hours=20))),
        ("u2", "+8613900139000", "until", "abuse", "active", at, iso(NOW + timedelta(days=5))),
        ("u3", "+8613700137000", "until", "abuse", "expired", at, iso(NOW + timedelta(days=20))),
        ("u4", "+8613600136000", "until", "abuse", "active", at, iso(NOW + timedelta(days=90))),
        ("p1", "+8613500135000", "week", "harassment", "proposed", at, None),
    ])
    db = open_db(path)
    scopes = {r["id"]: r["scope"] for r in db.query("SELECT id, scope FROM blocklist")}
    assert scopes == {"u1": "day", "u2": "week", "u3": "month", "u4": "permanent", "p1": "week"}
    migrated = [r["blocklist_id"] for r in db.query("SELECT blocklist_id FROM blocklist_audit WHERE action = 'migrate'")]
    assert sorted(migrated) == ["u1", "u2", "u3", "u4"]
    db.execute("UPDATE blocklist SET status = 'approved' WHERE id = 'p1'")      # the new states fit
    assert db.execute("SELECT status FROM blocklist_audit WHERE blocklist_id = 'p1' ORDER BY seq DESC").fetchone()[0] \
        == "approved"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE blocklist SET scope = 'until' WHERE id = 'p1'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM blocklist_audit")


def test_a_proposal_is_queued_with_the_call_as_evidence_and_pushes_as_the_wire_wants(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    block_id = store.propose_block(NUMBER, "week", "abuse", "1024", "6f1c2b4e-0000-4000-8000-000000000001", NOW)
    assert store.propose_block(NUMBER, "day", "harassment", "1024", None, NOW) == block_id   # one live proposal
    [entry] = outbox.pending(store.db)
    [record] = outbox.records(store.db, [entry])
    assert record["kind"] == "block_proposal" and record["id"] == block_id and record["version"] == 1
    assert record["data"] == {"number": NUMBER, "scope": "week", "reason": "abuse", "status": "proposed",
                              "call_id": "6f1c2b4e-0000-4000-8000-000000000001", "created_at": iso(NOW),
                              "updated_at": iso(NOW), "agent_id": "1024"}
    batch = wire.parse_push({"device_id": "d1", "records": [record]})     # the server's own check passes
    assert batch.records[0].data["scope"] == "week"
    # proposed only: mentioned on the card, and the caller is not no-value because of it
    assert store.history(NUMBER, NOW, 30).block.state == "proposed"


def test_what_the_server_decided_comes_back_with_the_pull(tmp_path):
    store = CallStore(open_db(tmp_path / "c.db"))
    block_id = store.propose_block(NUMBER, "day", "abuse", "1024", None, NOW)
    assert pulled.apply_block(store.db, {
        "id": block_id, "number": NUMBER, "scope": "day", "reason": "abuse", "status": "active",
        "proposed_by": "1024", "decided_by": "2001", "operated_by": "2002", "automatic": False,
        "created_at": iso(NOW), "expires_at": iso(NOW + timedelta(days=1)), "updated_at": iso(NOW)})
    note = store.history(NUMBER, NOW + timedelta(hours=1), 30).block
    assert (note.state, note.when) == ("active", NOW + timedelta(days=1))
    assert not pulled.apply_block(store.db, {"id": "x", "number": NUMBER, "scope": "until", "reason": "abuse",
                                             "status": "active", "created_at": iso(NOW)})
    assert store.history(NUMBER, NOW + timedelta(days=2), 30).block.state == "lifted"

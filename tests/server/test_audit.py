"""The audit is append-only: no API edits it, and the database itself refuses UPDATE, DELETE (and
on PostgreSQL TRUNCATE) of its rows, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hangup_coach.server.storage import Storage
from tests.server.records import block_proposal, call, qa_review


@pytest.fixture
def storage(database):
    s = Storage(database)
    s.migrate()
    yield s
    s.close()


def test_the_database_refuses_to_change_or_delete_audit_rows(storage):
    storage.add_device("1001", "agent", "north", "shanghai")      # one audit row
    with storage.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit")).scalar() == 1
    statements = ["UPDATE audit SET after = NULL", "DELETE FROM audit"]
    if storage.dialect == "postgresql":
        statements.append("TRUNCATE audit")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with storage.engine.begin() as conn:
                conn.execute(text(statement))
    with storage.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, action, before, after FROM audit")).all()
    assert len(rows) == 1 and rows[0][:3] == ("device", "device.manage", None) and '"agent_id":"1001"' in rows[0][3]
    with storage.engine.begin() as conn:                           # appending still works
        conn.execute(text("INSERT INTO audit (at, device_id, agent_id, role, action, kind, record_id) "
                          "VALUES ('2026-01-01', 'd', 'a', 'admin', 'x.y', 'thing', 't1')"))


def test_shared_records_pushed_by_cards_are_audited_with_before_and_after(server, devices):
    agent, reviewer, lead = devices("1001", "agent", "north"), devices("qa-1", "qa"), devices("2001", "lead", "north")
    first = call("1001")
    proposal = block_proposal(agent_id="1001")
    assert agent.push([first, proposal]).status_code == 200
    review = qa_review(first["id"], "1001", "qa-1")
    assert reviewer.push([review]).status_code == 200
    changed = dict(review, version=2, data=dict(review["data"], answers={"greeting": 0}))
    assert reviewer.push([changed]).status_code == 200
    rows = lead.get("/v1/audit").json()["audit"]
    seen = [(r["kind"], r["record_id"], r["agent_id"], r["before"] and r["before"]["answers"].get("greeting"),
             r["after"].get("answers", {}).get("greeting")) for r in rows if r["kind"] != "device"]
    assert seen == [("block_proposal", proposal["id"], "1001", None, None),
                    ("qa_review", review["id"], "qa-1", None, 2),
                    ("qa_review", review["id"], "qa-1", 2, 0)]
    # The audit has no endpoint that writes.
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert lead.http.request(method, "/v1/audit").status_code == 405

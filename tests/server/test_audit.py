"""The audit is append-only: no API edits it, and the database itself refuses UPDATE, DELETE (and
on PostgreSQL TRUNCATE) of its rows, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hangup_coach.server.storage import Storage
from tests.server.records import block_proposal, call


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


def test_shared_records_are_audited_with_who_and_before_and_after(server, devices):
    agent, lead = devices("1001", "agent", "north"), devices("2001", "lead", "north")
    proposal = block_proposal(agent_id="1001")
    assert agent.push([call("1001"), proposal]).status_code == 200
    number = "+8613800138000"
    assert lead.http.put("/v1/cases", json=[{"number": number, "case_id": "K-1"}]).status_code == 200
    assert lead.http.put("/v1/cases", json=[{"number": number, "case_id": "K-1"}]).status_code == 200  # no change
    assert lead.http.put("/v1/cases", json=[{"number": number, "case_id": "K-2"}]).status_code == 200
    rows = lead.get("/v1/audit").json()["audit"]
    seen = [(r["kind"], r["record_id"], r["agent_id"], r["before"] and r["before"].get("case_id"),
             r["after"].get("case_id")) for r in rows if r["kind"] != "device"]
    assert seen == [("block_proposal", proposal["id"], "1001", None, None),
                    ("block", proposal["id"], "1001", None, None),        # the blocklist's block made of it
                    ("case", number, "2001", None, "K-1"), ("case", number, "2001", "K-1", "K-2")]
    assert all(r["at"] and r["device_id"] for r in rows)
    # The audit has no endpoint that writes.
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert lead.http.request(method, "/v1/audit").status_code == 405

"""The blocklist's governance on a real server process (issue 17): proposals from pushes, the
commands with roles, four-eyes and expected versions, the audit, bad input, and the burst rule."""

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import block_proposal, call, iso

NUMBER = "+8613800138000"


@pytest.fixture
def blocklist_server(database):
    """A server (SQLite, then PostgreSQL) whose worker ticks fast (the burst rule, expiry)."""
    import os
    os.environ["HANGUP_COACH_BLOCKLIST_TICK"] = "0.2"
    try:
        with ServerProcess(database) as proc:
            yield proc
    finally:
        os.environ.pop("HANGUP_COACH_BLOCKLIST_TICK", None)


@pytest.fixture
def people(blocklist_server):
    made = []

    def make(agent, role="agent", team=None, site=None):
        device = Device(blocklist_server, *add_device(blocklist_server.database, agent, role, team, site))
        made.append(device)
        return device

    yield make
    for d in made:
        d.close()


def propose(agent_device, agent_id, number=NUMBER, scope="day", **fields):
    record = block_proposal(number, agent_id=agent_id, scope=scope, **fields)
    reply = agent_device.push([record])
    assert reply.status_code == 200, reply.text
    return record["id"]


def step(device, block_id, action, version, **body):
    return device.http.post(f"/v1/blocklist/{block_id}/{action}", json={"expected_version": version, **body})


def test_propose_approve_activate_revoke_with_four_eyes_and_an_audit_trail(people):
    agent, lead1, lead2 = people("1001"), people("2001", "lead"), people("2002", "lead")
    block_id = propose(agent, "1001", scope="week")
    [shown] = lead1.get("/v1/blocklist", status="proposed").json()["blocks"]
    assert (shown["id"], shown["proposed_by"], shown["version"]) == (block_id, "1001", 1)
    assert [b["id"] for b in lead1.get("/v1/blocklist/queue").json()["proposals"]] == [block_id]

    assert step(agent, block_id, "approve", 1).status_code == 403             # an agent decides nothing
    approved = step(lead1, block_id, "approve", 1)
    assert approved.status_code == 200 and approved.json()["decided_by"] == "2001"
    assert step(lead2, block_id, "approve", 1).status_code == 409             # stale version
    refused = step(lead1, block_id, "activate", 2)                            # four-eyes: same person
    assert refused.status_code == 403 and "four-eyes" in refused.json()["error"]
    active = step(lead2, block_id, "activate", 2).json()
    assert (active["status"], active["operated_by"], active["version"]) == ("active", "2002", 3)
    twice = propose(people("1002"), "1002", scope="day")          # meanwhile, a second agent: closed at once
    closed = lead1.get(f"/v1/blocklist/{twice}").json()["block"]
    assert closed["status"] == "rejected" and block_id in closed["note"]
    assert [b["id"] for b in lead1.get("/v1/blocklist/queue").json()["proposals"]] == []

    assert step(lead1, block_id, "revoke", 3).status_code == 422              # a reason is required
    revoked = step(lead1, block_id, "revoke", 3, note="customer complained, a real account holder")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    trail = lead1.get(f"/v1/blocklist/{block_id}").json()["audit"]
    assert [(a["action"], a["actor"], a["status"]) for a in trail] == [
        ("propose", "1001", "proposed"), ("approve", "2001", "approved"), ("activate", "2002", "active"),
        ("revoke", "2001", "revoked")]
    assert trail[-1]["note"] == "customer complained, a real account holder"
    central = lead1.get("/v1/audit", kind="block", id=block_id).json()["audit"]      # the server's one audit too
    assert [(a["action"], a["agent_id"]) for a in central] == [
        ("block.propose", "1001"), ("block.approve", "2001"), ("block.activate", "2002"), ("block.revoke", "2001")]
    assert central[-1]["before"]["status"] == "active" and central[-1]["after"]["status"] == "revoked"
    # the card pulls the block as it is now
    pages, _ = agent.pull_all()
    assert [(b["id"], b["status"]) for p in pages for b in p["blocklist"]] == [(twice, "rejected"), (block_id, "revoked")]


def test_the_audit_is_append_only_in_the_database(people, blocklist_server):
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError
    agent = people("1001")
    propose(agent, "1001")
    url = blocklist_server.database
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://") if "://" in url else f"sqlite:///{url}")
    try:
        for sql in ("UPDATE block_audit SET note = 'x'", "DELETE FROM block_audit"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM block_audit")).scalar() == 1
    finally:
        engine.dispose()


def test_every_endpoint_refuses_no_token_and_the_wrong_role(people, blocklist_server):
    import httpx
    agent, lead = people("1001"), people("2001", "lead")
    block_id = propose(agent, "1001", scope="month")
    anonymous = httpx.Client(base_url=blocklist_server.url)
    for method, path in (("GET", "/v1/blocklist"), ("GET", "/v1/blocklist/queue"), ("GET", "/v1/blocklist/export"),
                         ("GET", f"/v1/blocklist/{block_id}"), ("POST", f"/v1/blocklist/{block_id}/approve"),
                         ("POST", "/v1/blocklist/never-block")):
        assert anonymous.request(method, path, json={}).status_code == 401, path
        if method == "GET":
            assert agent.http.get(path).status_code == 403, path
    for action in ("approve", "reject", "activate", "revoke", "review"):
        assert step(agent, block_id, action, 1, note="x").status_code == 403, action
    assert step(lead, block_id, "approve", 1).status_code == 403          # a month is a manager's decision
    assert agent.http.post("/v1/blocklist/never-block", json={"number": NUMBER}).status_code == 403
    anonymous.close()


def test_each_role_acts_on_the_blocks_of_its_team_or_site_as_the_permission_module_grants(people):
    """block.read/decide/operate/export and never_block.manage per role, scoped: a lead to their
    team, a manager to their site, an admin to the centre (operate, never decide)."""
    a_number, b_number, c_number = "+8613800000001", "+8613800000002", "+8613800000003"
    in_a = propose(people("1001", team="a", site="north"), "1001", a_number, scope="day")
    in_b = propose(people("1101", team="b", site="north"), "1101", b_number, scope="day")
    in_c = propose(people("1201", team="c", site="south"), "1201", c_number, scope="day")
    agent, qa = people("1002", team="a", site="north"), people("4001", "qa", team="a", site="north")
    lead_a, lead_b = people("2001", "lead", team="a", site="north"), people("2101", "lead", team="b", site="north")
    manager, admin = people("3001", "manager", team="office", site="north"), people("9001", "admin", site="south")

    def seen(device):
        return sorted(b["id"] for b in device.get("/v1/blocklist").json()["blocks"])

    def queued(device):
        return sorted(b["id"] for b in device.get("/v1/blocklist/queue").json()["proposals"])

    # agent: proposes (above), reads and decides nothing
    for path in ("/v1/blocklist", "/v1/blocklist/queue", f"/v1/blocklist/{in_a}", "/v1/blocklist/export",
                 "/v1/blocklist/never-block"):
        refused = agent.get(path)
        assert refused.status_code == 403 and "agent" in refused.json()["error"], path
    assert step(agent, in_a, "approve", 1).status_code == 403
    # qa: reads their team's blocks, decides and operates none
    assert seen(qa) == [in_a] and queued(qa) == [in_a]
    assert qa.get(f"/v1/blocklist/{in_b}").status_code == 403
    assert step(qa, in_a, "approve", 1).status_code == 403
    assert qa.get("/v1/blocklist/export").status_code == 403
    # lead: their own team's blocks only
    assert seen(lead_a) == [in_a] and queued(lead_a) == [in_a] and seen(lead_b) == [in_b]
    other = lead_a.get(f"/v1/blocklist/{in_b}")
    assert other.status_code == 403 and "team" in other.json()["error"]
    assert step(lead_a, in_b, "approve", 1).status_code == 403
    assert step(lead_a, in_a, "approve", 1).status_code == 200
    assert lead_a.get("/v1/blocklist/export").status_code == 403
    assert lead_a.http.post("/v1/blocklist/never-block", json={"number": "+862100000000"}).status_code == 403
    # manager: the whole site (teams a and b), not the other site
    assert seen(manager) == sorted([in_a, in_b]) and queued(manager) == [in_b]
    assert manager.get(f"/v1/blocklist/{in_c}").status_code == 403
    assert step(manager, in_c, "approve", 1).status_code == 403
    assert step(manager, in_b, "approve", 1).status_code == 200
    assert step(manager, in_a, "activate", 2).status_code == 200          # lead_a approved, the manager operates
    assert manager.get("/v1/blocklist/export", format="csv").status_code == 200
    assert manager.http.post("/v1/blocklist/never-block", json={"number": "+862100000000"}).status_code == 201
    # admin: reads and operates across the centre, decides nothing, manages the never-block list
    assert seen(admin) == sorted([in_a, in_b, in_c])
    assert step(admin, in_c, "approve", 1).status_code == 403
    assert step(admin, in_b, "activate", 2).status_code == 200
    export = admin.get("/v1/blocklist/export", format="freeswitch")
    assert export.status_code == 200 and a_number in export.text and b_number in export.text
    gone = admin.http.request("DELETE", "/v1/blocklist/never-block/+862100000000", json={"note": "contract ended"})
    assert gone.status_code == 200
    assert admin.get("/v1/blocklist/never-block").json()["numbers"] == []
    # every refusal left the blocks as they were
    assert [(b["id"], b["status"]) for b in admin.get("/v1/blocklist").json()["blocks"]
            if b["id"] == in_c] == [(in_c, "proposed")]


def test_bad_input_is_a_clear_4xx_and_stores_nothing(people):
    agent, lead1, lead2 = people("1001"), people("2001", "lead"), people("2002", "lead")
    for bad, field in ((block_proposal(scope="forever"), "scope"), (block_proposal(number="+86138abc"), "number"),
                       (block_proposal(reason="rude"), "reason")):
        reply = agent.push([block_proposal("+8613900139000"), bad])       # a good one beside: nothing stored
        assert reply.status_code == 422 and field in reply.text, reply.text
    assert lead1.get("/v1/blocklist").json()["blocks"] == []
    missing = step(lead1, str(uuid.uuid4()), "revoke", 1, note="complaint")
    assert missing.status_code == 404 and "no block" in missing.json()["error"]
    block_id = propose(agent, "1001")
    step(lead1, block_id, "approve", 1)
    past = step(lead2, block_id, "activate", 2, expires_at=iso(datetime.now(timezone.utc) - timedelta(hours=1)))
    assert past.status_code == 422 and "past" in past.json()["error"]
    assert step(lead2, block_id, "activate", "2").status_code == 422           # the version must be a number
    assert step(lead2, block_id, "explode", 2).status_code == 404
    [still] = lead1.get("/v1/blocklist").json()["blocks"]
    assert (still["status"], still["version"]) == ("approved", 2)            # nothing half-stored
    assert [a["action"] for a in lead1.get(f"/v1/blocklist/{block_id}").json()["audit"]] == ["propose", "approve"]


def test_a_burst_of_no_value_calls_is_blocked_automatically_and_regular_calls_never(people):
    agents = [people(f"100{i}") for i in range(1, 4)]
    lead = people("2001", "lead")
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    nuisance, regular = "+8613700137000", "+8613600136000"
    for i in range(20):                        # 20 calls in 10 minutes, 3 of them judged no-value
        who = agents[i % 3]
        judged = {"warnings": 1, "caller_class": "no_value", "sub_reason": "harassment",
                  "disposition": "warned_and_ended"} if i < 3 else {"disposition": "other"}
        assert who.push([call(f"100{i % 3 + 1}", nuisance, started=start + timedelta(seconds=30 * i),
                              **judged)]).status_code == 200
        assert who.push([call(f"100{i % 3 + 1}", regular, started=start + timedelta(seconds=30 * i))]).status_code == 200
    pushed = time.monotonic()

    def automatic():
        return [b for b in lead.get("/v1/blocklist/queue").json()["to_confirm"]]
    deadline = time.monotonic() + 10
    while not automatic() and time.monotonic() < deadline:
        time.sleep(0.1)
    [block] = automatic()
    assert time.monotonic() - pushed < 6          # one worker round (0.2 s here) + 5 s at most
    assert (block["number"], block["status"], block["scope"], block["automatic"]) == (nuisance, "active", "day", True)
    # blocked as soon as the rule held (the worker may run while the calls are still arriving)
    assert 10 <= len(block["evidence"]) <= 20 and len(block["calls"]) == len(block["evidence"])
    assert sum(c["warnings"] for c in block["calls"]) == 3
    assert lead.get("/v1/blocklist", number=regular).json()["blocks"] == []
    trail = lead.get(f"/v1/blocklist/{block['id']}").json()["audit"]
    assert [(a["action"], a["actor"]) for a in trail] == [("burst", "system")]
    confirmed = step(lead, block["id"], "review", block["version"])
    assert confirmed.json()["confirmed_by"] == "2001"
    assert lead.get("/v1/blocklist/queue").json()["to_confirm"] == []
    assert [a["action"] for a in lead.get(f"/v1/blocklist/{block['id']}").json()["audit"]] == ["burst", "review"]


def test_the_migration_keeps_todays_block_proposals(database):
    """A server database from before the blocklist's tables: its block_proposal records become
    blocks (the old scope 'until' one of the seeds' four), each with a 'migrate' audit row."""
    import json as json_

    from sqlalchemy import column, table

    from hangup_coach.server import migrations
    from hangup_coach.server.storage import Storage
    storage = Storage(database)
    records = table("records", *(column(c) for c in ("kind", "id", "version", "seq", "agent_id", "team", "device_id",
                                                     "received_at", "number", "started_at", "call_id", "data")))
    try:
        with storage.write() as conn:
            migrations.upgrade(conn, "0002")             # the schema of the servers in the field (commit 10348a3)
            created = "2026-12-01T08:00:00.000+00:00"
            old = [("p1", "+8613800138000", {"scope": "week", "reason": "harassment, 5 calls today", "status": "proposed"}),
                   ("p2", "+8613900139000", {"scope": "until", "reason": "abuse", "status": "active",
                                             "decided_by": "2001", "expires_at": "2026-12-04T08:00:00.000+00:00"})]
            for seq, (record_id, number, data) in enumerate(old, start=1):
                data = dict(data, number=number, created_at=created)
                conn.execute(records.insert().values(
                    kind="block_proposal", id=record_id, version=1, seq=seq, agent_id="1001", team="default",
                    device_id="d1", received_at=created, number=number, started_at=None, call_id=None,
                    data=json_.dumps(data)))
        storage.migrate()
        from hangup_coach.server.storage.blocklist_tables import block_audit, blocks
        from sqlalchemy import select
        with storage.engine.connect() as conn:
            moved = {r["id"]: r for r in conn.execute(select(blocks)).mappings()}
            audit = conn.execute(select(block_audit.c.block_id, block_audit.c.action)).all()
        assert (moved["p1"]["status"], moved["p1"]["scope"], moved["p1"]["reason"]) == ("proposed", "week", "harassment")
        assert moved["p1"]["note"] == "harassment, 5 calls today" and moved["p1"]["proposed_by"] == "1001"
        assert (moved["p2"]["status"], moved["p2"]["scope"], moved["p2"]["decided_by"]) == ("active", "week", "2001")
        assert sorted(audit) == [("p1", "migrate"), ("p2", "migrate")]
        with pytest.raises(Exception, match="append-only"):
            with storage.write() as conn:
                conn.execute(block_audit.delete())
    finally:
        storage.close()


def test_a_manager_decides_a_permanent_block_and_a_lead_operates_it(people):
    agent, lead, manager = people("1001"), people("2001", "lead"), people("3001", "manager")
    block_id = propose(agent, "1001", scope="permanent")
    assert step(lead, block_id, "approve", 1).status_code == 403
    assert step(manager, block_id, "approve", 1).json()["decided_by"] == "3001"
    assert step(manager, block_id, "activate", 2).status_code == 403          # four-eyes
    active = step(lead, block_id, "activate", 2).json()
    assert (active["status"], active["expires_at"]) == ("active", None)
    assert active["review_at"] is not None                                   # reviewed monthly


def test_the_never_block_list_is_managed_by_command_and_refuses_proposals(people):
    agent, lead, manager = people("1001"), people("2001", "lead"), people("3001", "manager")
    partner = "+8602112345678"
    assert lead.http.post("/v1/blocklist/never-block", json={"number": partner}).status_code == 403
    assert manager.http.post("/v1/blocklist/never-block", json={"number": "021-1234"}).status_code == 422
    assert manager.http.post("/v1/blocklist/never-block", json={"number": partner,
                                                                "note": "partner bank"}).status_code == 201
    assert [n["number"] for n in lead.get("/v1/blocklist/never-block").json()["numbers"]] == [partner]
    refused = agent.push([block_proposal(partner, agent_id="1001")])
    assert refused.status_code == 422 and "never-block" in refused.json()["error"]
    assert lead.get("/v1/blocklist").json()["blocks"] == []

    def remove(device, number, **body):
        return device.http.request("DELETE", f"/v1/blocklist/never-block/{number}", json=body)
    assert remove(lead, partner, note="x").status_code == 403
    assert remove(manager, partner).status_code == 422                      # a reason is required
    assert remove(manager, "+8602100000000", note="x").status_code == 404
    assert remove(manager, partner, note="partnership ended").status_code == 200
    assert lead.get("/v1/blocklist/never-block").json()["numbers"] == []
    assert agent.push([block_proposal(partner, agent_id="1001")]).status_code == 200   # may be proposed again
    trail = manager.get("/v1/audit", kind="never_block", id=partner).json()["audit"]
    assert [(a["action"], a["agent_id"]) for a in trail] == [("never_block.add", "3001"), ("never_block.remove", "3001")]
    assert trail[-1]["after"]["note"] == "partnership ended"

"""Every endpoint refuses a missing, unknown or revoked token (401) and a role that may not (403);
agents push only their own records; a lead reads only their own team."""

import httpx
import pytest

from tests.server.harness import Device, add_device
from tests.server.records import block_proposal, call, note

NUMBER = "+8613800138000"
# (method, path, roles allowed)
ROLES = ("agent", "lead", "qa", "manager", "admin")
ENDPOINTS = [
    ("GET", "/v1/me", set(ROLES)),
    ("POST", "/v1/push", {"agent", "lead", "qa", "manager"}),
    ("GET", "/v1/changes", {"agent", "lead", "qa", "manager"}),
    ("GET", f"/v1/profiles/{NUMBER}", {"agent", "lead", "qa", "manager"}),
    ("GET", "/v1/team/changes", {"lead", "qa", "manager"}),
    ("PUT", "/v1/cases", {"lead", "manager", "admin"}),
    ("GET", "/v1/audit", {"lead", "manager", "admin"}),
    ("GET", "/v1/devices", {"manager", "admin"}),
    ("POST", "/v1/devices", {"admin"}),
    ("POST", "/v1/devices/some-device/revoke", {"admin"}),
]


def send(server, method, path, token=None, headers=None, device_id="x"):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"device_id": device_id, "records": []} if path == "/v1/push" else {"agent_id": "9", "role": "agent"}
    if method == "PUT":
        body = []                                        # no case facts: nothing to store
    return httpx.request(method, server.url + path, headers=headers, timeout=30,
                         json=body if method in ("POST", "PUT") else None)


@pytest.fixture
def tokens(server):
    ids, made = {}, {}
    for role in ROLES:
        ids[role], made[role] = add_device(server.database, f"{role}-1", role)
    made["ids"] = ids
    device_id, revoked = add_device(server.database, "gone", "admin")
    admin = Device(server, "", made["admin"])
    assert admin.http.post(f"/v1/devices/{device_id}/revoke").status_code == 200
    admin.close()
    made["revoked"] = revoked
    return made


def test_every_endpoint_refuses_a_missing_unknown_or_revoked_token(server, tokens):
    for method, path, _ in ENDPOINTS:
        for token in (None, "not-a-token", tokens["revoked"]):
            reply = send(server, method, path, token)
            assert reply.status_code == 401, (method, path, token, reply.text)
            assert reply.json()["error"] and reply.headers["www-authenticate"] == "Bearer"
        basic = send(server, method, path, headers={"Authorization": f"Basic {tokens['admin']}"})
        assert basic.status_code == 401, (method, path)


def test_every_endpoint_refuses_a_role_that_may_not(server, tokens):
    checked = 0
    for method, path, allowed in ENDPOINTS:
        for role in ROLES:
            reply = send(server, method, path, tokens[role], device_id=tokens["ids"][role])
            if role in allowed:
                assert reply.status_code not in (401, 403), (method, path, role, reply.text)
            else:
                assert reply.status_code == 403, (method, path, role, reply.text)
                assert "may not" in reply.json()["error"]
                checked += 1
    assert checked == sum(len(ROLES) - len(allowed) for _, _, allowed in ENDPOINTS)


def test_a_token_in_the_query_string_is_not_accepted(server, tokens):
    assert httpx.get(server.url + "/v1/me", params={"token": tokens["agent"]}).status_code == 401


def test_agents_push_only_their_own_records(devices):
    mine, other, lead = devices("1001"), devices("1002"), devices("2001", "lead")
    theirs = call("1002")
    assert other.push([theirs]).status_code == 200

    refused = [
        [call("1001"), call("1002")],                                     # another agent's call
        [call("1001", call_id=theirs["id"], version=5)],                  # taking over their call's id
        [note(theirs["id"])],                                             # a note on their call
        [block_proposal(agent_id="1002")],
    ]
    for batch in refused:
        reply = mine.push(batch)
        assert reply.status_code == 403, reply.text
        assert reply.json()["error"]
    # Block decisions are server commands now: an old card's status change is refused whole, with
    # the record's index (the card keeps the rest) and a message to upgrade.
    for device in (mine, lead):
        reply = device.push([call(device is mine and "1001" or "2001"), block_proposal(status="active")])
        assert reply.status_code == 422 and reply.json()["index"] == 1, reply.text
        assert reply.json()["upgrade_required"] is True and "upgrade" in reply.json()["error"]
    assert mine.push([call("1001")], device_id=other.id).status_code == 403   # posing as another device
    pages, _ = lead.pull_all("/v1/team/changes")
    assert [c["id"] for p in pages for c in p["calls"]] == [theirs["id"]]     # nothing of the refused
    assert [c["version"] for p in pages for c in p["calls"]] == [1]
    assert not any(p["notes"] for p in pages)
    assert not any(p["blocklist"] for p in mine.pull_all()[0])
    assert lead.push([block_proposal(agent_id="2001")]).status_code == 200      # a lead may propose too


def test_a_revoked_device_is_refused_on_its_next_request(devices):
    agent = devices("1001")
    admin = devices("admin", "admin")
    assert agent.push([call("1001")]).status_code == 200
    listed = admin.get("/v1/devices").json()["devices"]
    assert {d["device_id"] for d in listed} == {agent.id, admin.id}
    assert all("token" not in d and "token_hash" not in d for d in listed)
    assert admin.http.post(f"/v1/devices/{agent.id}/revoke").status_code == 200
    assert agent.push([call("1001")]).status_code == 401
    assert agent.get("/v1/changes").status_code == 401


def test_an_admin_adds_a_device_over_http(devices, server):
    admin = devices("admin", "admin")
    made = admin.http.post("/v1/devices", json={"agent_id": "1003", "role": "lead", "team": "east"})
    assert made.status_code == 201
    body = made.json()
    me = httpx.get(server.url + "/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).json()
    assert (me["device_id"], me["role"], me["team"]) == (body["device_id"], "lead", "east")
    for bad in ({"agent_id": "1", "role": "boss"}, {"agent_id": "", "role": "agent"}, {"agent_id": 7, "role": "agent"},
                {"agent_id": "1", "role": "agent", "extra": 1}, ["agent"]):
        reply = admin.http.post("/v1/devices", json=bad)
        assert reply.status_code == 422 and reply.json()["error"], bad
    assert admin.http.post("/v1/devices/no-such/revoke").status_code == 404


def test_an_admin_adds_a_qa_device_covering_more_teams_over_http(devices, server):
    """The qa device's scope is set when it is added, over HTTP as on the server's command line."""
    admin = devices("admin", "admin")
    made = admin.http.post("/v1/devices", json={"agent_id": "qa-7", "role": "qa", "team": "north",
                                                "covers": ["south"]})
    assert made.status_code == 201 and made.json()["covers"] == ["south"]
    listed = {d["agent_id"]: d for d in admin.get("/v1/devices").json()["devices"]}
    assert listed["qa-7"]["covers"] == ["south"]
    south_agent = devices("1001", "agent", "south")
    assert south_agent.push([call("1001")]).status_code == 200
    qa = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {made.json()['token']}"})
    try:
        pulled = qa.get("/v1/team/changes", params={"since": "", "limit": 100}).json()["calls"]
        assert [c["agent_id"] for c in pulled] == ["1001"]           # a covered team's call is in its reach
    finally:
        qa.close()
    for bad, words in (({"agent_id": "2", "role": "lead", "team": "north", "covers": ["south"]}, "only a qa device"),
                       ({"agent_id": "3", "role": "qa", "team": "north", "covers": "south"}, "list of team names"),
                       ({"agent_id": "4", "role": "qa", "team": "north", "covers": ["*", "south"]}, "stands alone")):
        reply = admin.http.post("/v1/devices", json=bad)
        assert reply.status_code == 422 and words in reply.json()["error"], (bad, reply.json())


def test_a_lead_reviews_an_agents_call_of_a_batch_and_an_agent_cannot(devices):
    from hangup_coach.app.qa import load_form

    agent, lead = devices("1001"), devices("2001", "lead")
    theirs = call("1001", agent_ended_early=1)
    assert agent.push([theirs]).status_code == 200
    form = load_form("standard")
    made = lead.http.post("/v1/qa/batches", json={"purpose": "problems", "filters": {}, "size": 5, "seed": "1",
                                                  "form": {"name": form.name, "version": form.version,
                                                           "source": form.source}})
    assert made.status_code == 201 and [c["call_id"] for c in made.json()["calls"]] == [theirs["id"]]
    answers = {"call_necessary": "yes", "self_service": "no", "problem_solved": "fully", "call_again": "unlikely",
               "root_causes": ["training"], "verdict": "too_early"}

    def review(**changes) -> dict:
        data = {"batch_id": made.json()["id"], "call_id": theirs["id"], "agent_id": "1001", "reviewer_id": "2001",
                "form_name": "standard", "form_version": 1, "form_fingerprint": form.fingerprint, "answers": answers,
                "created_at": theirs["data"]["updated_at"], "updated_at": theirs["data"]["updated_at"]}
        return {"kind": "qa_review", "id": "r-1", "version": 1, "data": {**data, **changes}}

    assert agent.push([review(reviewer_id="1001")]).status_code == 403      # an agent never reviews
    assert agent.http.get(f"/v1/qa/batches/{made.json()['id']}").status_code == 403
    for bad in (review(call_id="not-sampled"), review(agent_id="1002"), review(form_fingerprint="other"),
                review(answers={"verdict": "as_policy"}), review(batch_id="no-such-batch")):
        refused = lead.push([bad])
        assert refused.status_code == 422 and "review r-1" in refused.json()["error"], bad
    assert lead.push([review()]).status_code == 200
    assert [r["call_id"] for r in lead.http.get(f"/v1/qa/batches/{made.json()['id']}/reviews").json()["reviews"]] == [
        theirs["id"]]
    assert [r["id"] for r in agent.http.get("/v1/qa/my-reviews").json()["reviews"]] == ["r-1"]   # its own call

    # the batch's draw and an action's moves are in the append-only audit, by who and from which device
    action = lead.http.post("/v1/qa/actions", json={"kind": "training", "title": "drill", "owner": "2001",
                                                    "due": "2026-12-31", "figure": "early_rate"}).json()
    assert lead.http.post(f"/v1/qa/actions/{action['id']}/status",
                          json={"status": "in_progress", "expected_version": 1}).status_code == 200
    rows = [r for r in lead.http.get("/v1/audit", params={"limit": 1000}).json()["audit"] if r["kind"].startswith("qa_")]
    assert [(r["action"], r["record_id"], r["agent_id"]) for r in rows] == [
        ("qa_batch_create", made.json()["id"], "2001"), ("qa_review.push", "r-1", "2001"),
        ("qa_action_create", action["id"], "2001"),
        ("qa_action_status", action["id"], "2001")]
    assert rows[0]["after"]["calls"] == [theirs["id"]] and rows[3]["before"]["status"] == "open"

"""Who may do what with QA batches, reviews and actions, as the permission module decides it
(server/domain/qa.py declares the actions): each role allowed or refused (403) per endpoint, and a
`qa` device whose scope covers several teams, or its whole site, set when it is added."""

import pytest

from hangup_coach.app.qa import load_form
from hangup_coach.server import permissions
from hangup_coach.server.domain import qa as qa_domain
from hangup_coach.server.permissions import Place
from hangup_coach.server.storage import Storage
from tests.server.harness import Device, add_device
from tests.server.records import call

FORM = load_form("standard")
ANSWERS = {"call_necessary": "yes", "self_service": "no", "problem_solved": "fully", "call_again": "unlikely",
           "root_causes": ["training"], "verdict": "too_early"}


def batch_body(**more) -> dict:
    return {"purpose": "problems", "filters": {}, "size": 10, "seed": "7",
            "form": {"name": FORM.name, "version": FORM.version, "source": FORM.source}, **more}


def review(batch: dict, call_id: str, agent_id: str, reviewer_id: str, review_id: str) -> dict:
    stamp = "2026-11-30T09:00:00.000+00:00"
    return {"kind": "qa_review", "id": review_id, "version": 1, "data": {
        "batch_id": batch["id"], "call_id": call_id, "agent_id": agent_id, "reviewer_id": reviewer_id,
        "form_name": FORM.name, "form_version": FORM.version, "form_fingerprint": FORM.fingerprint,
        "answers": ANSWERS, "created_at": stamp, "updated_at": stamp}}


class Actor:
    def __init__(self, role: str, covers=()) -> None:
        self.role, self.agent_id, self.team, self.site, self.covers = role, "me", "north", "shanghai", covers


def test_a_qa_devices_covered_teams_or_site_are_in_its_team_scope_and_its_query_reach():
    south, east_far = Place(None, "south", "shanghai"), Place(None, "east", "beijing")
    only_own, two, site = Actor("qa"), Actor("qa", ("south",)), Actor("qa", (permissions.EVERY_TEAM,))
    assert [permissions.allowed(a, qa_domain.BATCH_DRAW, south) for a in (only_own, two, site)] == [False, True, True]
    assert not any(permissions.allowed(a, qa_domain.BATCH_DRAW, east_far) for a in (only_own, two, site))
    assert permissions.reach(only_own, qa_domain.BATCH_READ).filters == {"team": "north", "site": "shanghai"}
    assert permissions.reach(two, qa_domain.BATCH_READ).filters == {"team": ("north", "south"), "site": "shanghai"}
    assert permissions.reach(site, qa_domain.BATCH_READ).filters == {"site": "shanghai"}
    assert permissions.matches("south", ("north", "south")) and not permissions.matches("west", ("north", "south"))
    # an agent's own scope does not grow with anything: it reads only its own
    assert permissions.reach(Actor("agent"), qa_domain.REVIEW_READ).filters == {"agent_id": "me"}


def test_only_a_qa_device_covers_more_teams_and_the_whole_site_stands_alone(tmp_path):
    storage = Storage(str(tmp_path / "s.db"))
    try:
        storage.migrate()
        device, _ = storage.add_device("q1", "qa", "north", "shanghai", covers=("south", "north", "south"))
        assert device.covers == ("south",)                       # its own team and repeats dropped
        assert storage.list_devices()[0].covers == ("south",)    # kept in the database
        for role, covers, refused in (("lead", ("south",), "only a qa device"), ("qa", ("*", "south"), "stands alone"),
                                      ("qa", ("a,b",), "without a comma"), ("qa", ("x" * 65,), "1-64")):
            with pytest.raises(ValueError, match=refused):
                storage.add_device("q2", role, "north", covers=covers)
    finally:
        storage.close()


# endpoint → the roles that may (the others get 403); every device is in team north at the default site
ALLOWED = {
    "draw a batch": {"lead", "qa"},
    "list batches": {"lead", "qa", "manager"},
    "read a batch": {"lead", "qa", "manager"},
    "read a batch's reviews": {"lead", "qa", "manager"},
    "read reviews of calls in reach": {"agent", "lead", "qa", "manager"},
    "list actions": {"agent", "lead", "qa", "manager"},
    "add an action": {"lead", "qa"},
    "move an action": {"lead", "qa"},
    "push a review": {"lead", "qa"},
}


def test_each_role_is_allowed_or_refused_each_qa_endpoint(server):
    made = []

    def device(agent, role, team="north", site=None, covers=()):
        d = Device(server, *add_device(server.database, agent, role, team, site, covers))
        made.append(d)
        return d

    try:
        caller = device("1001", "agent")
        theirs = call("1001", agent_ended_early=1)
        assert caller.push([theirs]).status_code == 200
        lead = device("2001", "lead")
        batch = lead.http.post("/v1/qa/batches", json=batch_body()).json()
        action = lead.http.post("/v1/qa/actions", json={"kind": "training", "title": "drill", "owner": "1001",
                                                        "agent_id": "1001", "due": "2026-12-31",
                                                        "figure": "early_rate"}).json()
        seen = {}
        for role in permissions.ROLES:
            me = caller if role == "agent" else device(f"{role}-9", role)
            to_move = lead.http.post("/v1/qa/actions", json={"kind": "process", "title": f"{role}'s", "owner": "2001",
                                                             "due": "2027-01-31", "figure": "agent_share"}).json()
            replies = {
                "draw a batch": me.http.post("/v1/qa/batches", json=batch_body()),
                "list batches": me.http.get("/v1/qa/batches"),
                "read a batch": me.http.get(f"/v1/qa/batches/{batch['id']}"),
                "read a batch's reviews": me.http.get(f"/v1/qa/batches/{batch['id']}/reviews"),
                "read reviews of calls in reach": me.http.get("/v1/qa/my-reviews"),
                "list actions": me.http.get("/v1/qa/actions"),
                "add an action": me.http.post("/v1/qa/actions", json={
                    "kind": "process", "title": "fix", "owner": "2001", "due": "2027-01-31", "figure": "agent_share"}),
                "move an action": me.http.post(f"/v1/qa/actions/{to_move['id']}/status", json={
                    "status": "in_progress", "expected_version": 1}),
                "push a review": me.push([review(batch, theirs["id"], "1001", f"{role}-9", f"r-{role}")]),
            }
            for endpoint, reply in replies.items():
                status = reply.status_code
                if role in ALLOWED[endpoint]:
                    assert status in (200, 201), (role, endpoint, reply.text)
                else:
                    assert status == 403 and reply.json()["error"], (role, endpoint, reply.text)
                seen[(role, endpoint)] = reply
        # what each allowed reader sees: an agent only the reviews of its own calls and its action
        agent_reviews = seen[("agent", "read reviews of calls in reach")].json()["reviews"]
        assert agent_reviews == [] or {r["agent_id"] for r in agent_reviews} == {"1001"}
        assert [a["id"] for a in seen[("agent", "list actions")].json()["actions"]] == [action["id"]]
        assert {r["id"] for r in caller.http.get("/v1/qa/my-reviews").json()["reviews"]} == {"r-lead", "r-qa"}
    finally:
        for d in made:
            d.close()


def test_a_qa_device_covering_two_teams_reviews_both_and_a_lead_sees_only_batches_of_its_own(server):
    made = []

    def device(agent, role, team, site="shanghai", covers=()):
        d = Device(server, *add_device(server.database, agent, role, team, site, covers))
        made.append(d)
        return d

    try:
        calls = {}
        for agent, team, site in (("n1", "north", "shanghai"), ("s1", "south", "shanghai"),
                                  ("w1", "west", "shanghai"), ("b1", "north", "beijing")):
            record = call(agent, agent_ended_early=1)
            assert device(agent, "agent", team, site).push([record]).status_code == 200
            calls[agent] = record["id"]
        qa_two = device("q2", "qa", "north", covers=("south",))
        qa_site = device("qs", "qa", "qa-team", covers=("*",))
        lead_north, lead_south = device("ln", "lead", "north"), device("ls", "lead", "south")

        both = qa_two.http.post("/v1/qa/batches", json=batch_body()).json()
        assert both["teams"] == ["north", "south"]
        assert {c["call_id"] for c in both["calls"]} == {calls["n1"], calls["s1"]}   # not west, not Beijing's north
        site_wide = qa_site.http.post("/v1/qa/batches", json=batch_body()).json()
        assert {c["call_id"] for c in site_wide["calls"]} == {calls["n1"], calls["s1"], calls["w1"]}
        assert qa_two.http.post("/v1/qa/batches", json=batch_body(teams=["west"])).status_code == 403
        only_south = qa_two.http.post("/v1/qa/batches", json=batch_body(teams=["south"])).json()
        assert [c["call_id"] for c in only_south["calls"]] == [calls["s1"]]

        # a batch belongs to the teams it was drawn from: a reader must look after every one
        assert lead_north.http.get(f"/v1/qa/batches/{both['id']}").status_code == 404
        assert lead_south.http.get(f"/v1/qa/batches/{only_south['id']}").status_code == 200
        assert qa_site.http.get(f"/v1/qa/batches/{both['id']}").status_code == 200
        assert {b["id"] for b in lead_south.http.get("/v1/qa/batches").json()["batches"]} == {only_south["id"]}

        # the qa device reviews a south agent's call; that agent sees it, the north agent does not
        assert qa_two.push([review(both, calls["s1"], "s1", "q2", "r-s1")]).status_code == 200
        assert lead_south.push([review(both, calls["s1"], "s1", "ls", "r-ls")]).status_code == 422   # not its batch
        assert [r["id"] for r in made[1].http.get("/v1/qa/my-reviews").json()["reviews"]] == ["r-s1"]
        assert made[0].http.get("/v1/qa/my-reviews").json()["reviews"] == []
        assert [r["id"] for r in qa_two.http.get(f"/v1/qa/batches/{both['id']}/reviews").json()["reviews"]] == ["r-s1"]

        # actions: for a covered team yes, for another no; the south lead sees the south one
        south_action = qa_two.http.post("/v1/qa/actions", json={
            "kind": "training", "title": "drill", "owner": "ls", "team": "south", "due": "2026-12-31",
            "figure": "early_rate"})
        assert south_action.status_code == 201
        assert qa_two.http.post("/v1/qa/actions", json={
            "kind": "training", "title": "drill", "owner": "x", "team": "west", "due": "2026-12-31",
            "figure": "early_rate"}).status_code == 403
        assert [a["id"] for a in lead_south.http.get("/v1/qa/actions").json()["actions"]] == [south_action.json()["id"]]
        assert lead_north.http.get("/v1/qa/actions").json()["actions"] == []
        assert lead_south.http.post(f"/v1/qa/actions/{south_action.json()['id']}/status",
                                    json={"status": "in_progress", "expected_version": 1}).status_code == 200
        assert lead_north.http.post(f"/v1/qa/actions/{south_action.json()['id']}/status",
                                    json={"status": "done", "expected_version": 2}).status_code == 404
    finally:
        for d in made:
            d.close()


def test_the_server_command_line_sets_a_qa_devices_covered_teams_when_it_is_added(tmp_path):
    import os
    import subprocess
    import sys

    def server(*args):
        return subprocess.run([sys.executable, "-m", "hangup_coach", "server", *args, "--database",
                               str(tmp_path / "s.db")], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, HANGUP_COACH_HOME=str(tmp_path)))

    added = server("add-device", "--agent", "q1", "--role", "qa", "--team", "qa", "--covers", "north, south")
    assert added.returncode == 0 and "covers north,south" in added.stdout
    refused = server("add-device", "--agent", "a1", "--role", "agent", "--covers", "north")
    assert refused.returncode == 2 and "only a qa device" in refused.stderr

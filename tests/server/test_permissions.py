"""The permission matrix: every role × action × scope, allowed or refused, against a table written
here (not read from the module); first the rule itself, then the same decisions seen through a real
server on SQLite and PostgreSQL."""

import httpx
import pytest

from hangup_coach.server import domain, permissions  # noqa: F401  (domain: its modules define their actions)
from hangup_coach.server.permissions import Place
from tests.server.harness import Device, add_device
from tests.server.records import call, note

ROLES = ("agent", "lead", "qa", "manager", "admin")
SCOPES = ("own", "team", "site", "centre")
# action → {role: the widest scope it may act in}; a role not listed may not at all.
EXPECTED = {
    "call.write": {"agent": "own", "lead": "own", "qa": "own", "manager": "own"},
    "note.write": {"agent": "own", "lead": "own", "qa": "own", "manager": "own"},
    "block.propose": {"agent": "own", "lead": "own", "manager": "own"},
    "qa_review.write": {"lead": "team", "qa": "team"},
    "evidence.read": {"agent": "site", "lead": "site", "qa": "site", "manager": "site"},
    "team.read": {"lead": "team", "qa": "team", "manager": "site"},
    "case.write": {"lead": "centre", "manager": "centre", "admin": "centre"},
    "audit.read": {"lead": "team", "manager": "site", "admin": "centre"},
    "device.read": {"manager": "site", "admin": "centre"},
    "device.manage": {"admin": "centre"},
    "me.read": {role: "own" for role in ROLES},
    "report.read": {"lead": "team", "manager": "site", "admin": "centre"},      # server/domain/reports.py
}


class Actor:
    def __init__(self, role: str) -> None:
        self.role, self.agent_id, self.team, self.site = role, "me", "north", "shanghai"


PLACES = {   # a record in each scope, as seen from Actor
    "own": Place("me", "north", "shanghai"),
    "team": Place("mate", "north", "shanghai"),
    "site": Place("neighbour", "south", "shanghai"),
    "centre": Place("far", "north", "beijing"),      # the same team name at another site is not the team
}


def expected(role: str, action: str, scope: str) -> bool:
    widest = EXPECTED[action].get(role)
    return widest is not None and SCOPES.index(scope) <= SCOPES.index(widest)


def test_every_role_action_and_scope_is_decided_as_the_table_says():
    decided = 0
    for action in EXPECTED:
        for role in ROLES:
            for scope in SCOPES:
                actor, place = Actor(role), PLACES[scope]
                assert permissions.scope_of(actor, place) == scope
                assert permissions.allowed(actor, action, place) is expected(role, action, scope), (role, action, scope)
                if expected(role, action, scope):
                    permissions.check(actor, action, place)
                else:
                    with pytest.raises(permissions.Denied, match=f"a {role} device may"):
                        permissions.check(actor, action, place)
                decided += 1
    assert decided == len(EXPECTED) * len(ROLES) * len(SCOPES)


def test_a_query_reaches_exactly_the_granted_scope():
    for action in EXPECTED:
        for role in ROLES:
            widest = EXPECTED[action].get(role)
            if widest is None:
                with pytest.raises(permissions.Denied):
                    permissions.reach(Actor(role), action)
                continue
            filters = permissions.reach(Actor(role), action).filters
            reached = {scope for scope, place in PLACES.items()
                       if all(getattr(place, column) == value for column, value in filters.items())}
            assert reached == {s for s in SCOPES if expected(role, action, s)}, (role, action)


def test_an_unknown_action_or_a_redefined_one_is_a_programming_error():
    with pytest.raises(KeyError):
        permissions.allowed(Actor("admin"), "everything.do", PLACES["own"])
    with pytest.raises(ValueError, match="twice"):
        permissions.define("note.write", {"agent": "own"})
    with pytest.raises(ValueError):
        permissions.define("thing.new", {"boss": "own"})


# ----- the same decisions through a real server ----------------------------------------------------------
@pytest.fixture
def centre(server):
    """For each role, a device "me" in team north at site shanghai, and agents' devices whose calls
    are in each scope as seen from it: its own person's (on another device), a team mate's, a
    neighbour team's at the same site, and one at another site."""
    made = []

    def device(agent, role, team, site):
        d = Device(server, *add_device(server.database, agent, role, team, site))
        made.append(d)
        return d

    world = {"roles": {role: device(f"me-{role}", role, "north", "shanghai") for role in ROLES}, "calls": {}}
    for role in ROLES:
        for scope, (agent, team, site) in {"own": ("me", "north", "shanghai"), "team": ("mate", "north", "shanghai"),
                                           "site": ("neighbour", "south", "shanghai"),
                                           "centre": ("far", "north", "beijing")}.items():
            author = device(f"{agent}-{role}", "agent", team, site)
            record = call(f"{agent}-{role}", number=f"+86139{ROLES.index(role)}0000000")
            assert author.push([record]).status_code == 200
            world["calls"][(role, scope)] = record["id"]
    yield world
    for d in made:
        d.close()


def test_who_may_write_a_record_about_whose_call_through_the_server(centre):
    for role, me in centre["roles"].items():
        for scope in SCOPES:
            call_id = centre["calls"][(role, scope)]
            # (a review also needs a QA batch of that call: the QA module's rule, tests/qa)
            for action, record in (("note.write", note(call_id)),):
                reply = me.push([record])
                if expected(role, action, scope):
                    assert reply.status_code == 200, (role, action, scope, reply.text)
                else:
                    assert reply.status_code == 403, (role, action, scope, reply.text)


def test_who_reads_whose_calls_and_evidence_through_the_server(centre):
    for role, me in centre["roles"].items():
        visible = {}
        team = me.get("/v1/team/changes")
        if EXPECTED["team.read"].get(role):
            visible["team.read"] = {c["id"] for c in team.json()["calls"]}
        else:
            assert team.status_code == 403, (role, team.text)
        profile = me.get(f"/v1/profiles/+86139{ROLES.index(role)}0000000")
        if EXPECTED["evidence.read"].get(role):
            visible["evidence.read"] = {e["call_id"] for e in profile.json()["evidence"]}
        else:
            assert profile.status_code == 403, (role, profile.text)
        for action, seen in visible.items():
            for scope in SCOPES:
                call_id = centre["calls"][(role, scope)]
                assert (call_id in seen) is expected(role, action, scope), (role, action, scope)


def test_who_reads_the_audit_and_the_devices_of_which_place(server, centre):
    admin = Device(server, *add_device(server.database, "root", "admin", "ops", "beijing"))
    try:
        for role, me in centre["roles"].items():
            audit = me.get("/v1/audit")
            devices = me.get("/v1/devices")
            for action, reply, rows, place_of in (
                    ("audit.read", audit, "audit", lambda r: (r["after"]["team"], r["after"]["site"])),
                    ("device.read", devices, "devices", lambda r: (r["team"], r["site"]))):
                if not EXPECTED[action].get(role):
                    assert reply.status_code == 403, (role, action, reply.text)
                    continue
                places = {place_of(r) for r in reply.json()[rows] if place_of(r)[0]}
                for scope, place in (("team", ("north", "shanghai")), ("site", ("south", "shanghai")),
                                     ("centre", ("north", "beijing"))):
                    assert (place in places) is expected(role, action, scope), (role, action, scope, places)
        # audit rows of added devices: "before" none, "after" the device (its token never)
        rows = admin.get("/v1/audit", kind="device").json()["audit"]
        assert rows and all(r["before"] is None and "token" not in r["after"] and "token_hash" not in r["after"]
                            for r in rows)
        assert httpx.get(server.url + "/v1/audit").status_code == 401
    finally:
        admin.close()

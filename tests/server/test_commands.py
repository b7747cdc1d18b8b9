"""Server-owned domain records changed by commands (server/domain/framework.py), on SQLite and
PostgreSQL: the expected version (409 with both versions when stale), permissions by the row's
place, one audit row per command, cursors over a kind. A small kind made here ("widgets") stands in
for the blocklist's and QA's kinds, served by the real API app in-process."""

import threading

import pytest
from sqlalchemy import Column, MetaData, String
from starlette.testclient import TestClient

from hangup_coach.server import permissions
from hangup_coach.server.api.app import create_app
from hangup_coach.server.domain import framework
from hangup_coach.server.storage import Storage

WIDGET_CREATE = permissions.define("test_widget.create", {"agent": "own", "lead": "team"})
WIDGET_CLOSE = permissions.define("test_widget.close", {"lead": "team", "manager": "site"})
WIDGET_READ = permissions.define("test_widget.read", {"agent": "own", "lead": "team", "manager": "site"})
widgets = framework.domain_table("test_widgets", Column("state", String(10), nullable=False),
                                 Column("label", String(64), nullable=False), on=MetaData())


def make(ctx, current, body):
    if set(body) != {"label"} or not isinstance(body["label"], str):
        raise framework.CommandError("expected {\"label\": text}")
    return {"state": "open", "label": body["label"]}


def close(ctx, current, body):
    if current["state"] != "open":
        raise framework.CommandError(f"the widget is {current['state']}, not open", status=409)
    return {"state": "closed", "label": body.get("label", current["label"])}


WIDGETS = framework.DomainKind("widgets", widgets, WIDGET_READ, create=framework.Command(WIDGET_CREATE, make),
                               commands={"close": framework.Command(WIDGET_CLOSE, close)})


@pytest.fixture
def api(database):
    storage = Storage(database)
    storage.migrate()
    widgets.create(storage.engine)
    clients = {}

    def client(agent: str, role: str, team: str = "north", site: str = "shanghai") -> TestClient:
        device, token = storage.add_device(agent, role, team, site)
        made = TestClient(create_app(storage, [WIDGETS]), headers={"Authorization": f"Bearer {token}"})
        made.device = device
        clients[agent] = made
        return made

    client.storage = storage
    yield client
    for c in clients.values():
        c.close()
    storage.close()


def test_a_command_on_a_stale_version_is_answered_409_with_both_versions(api):
    agent, lead, other_lead = api("1001", "agent"), api("2001", "lead"), api("2002", "lead", team="south")
    made = agent.post("/v1/widgets", json={"id": "w-1", "label": "红色"})
    assert made.status_code == 201, made.text
    assert (made.json()["version"], made.json()["state"], made.json()["agent_id"]) == (1, "open", "1001")

    assert other_lead.post("/v1/widgets/w-1/close", json={"expected_version": 1}).status_code == 403
    assert agent.post("/v1/widgets/w-1/close", json={"expected_version": 1}).status_code == 403
    closed = lead.post("/v1/widgets/w-1/close", json={"expected_version": 1, "label": "蓝色"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["version"], closed.json()["state"], closed.json()["updated_by"]) == (2, "closed", lead.device.id)

    stale = lead.post("/v1/widgets/w-1/close", json={"expected_version": 1, "label": "绿色"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["version"] == 2 and body["current"]["label"] == "蓝色"
    assert body["yours"] == {"expected_version": 1, "command": "close", "label": "绿色"}
    assert "version 2" in body["error"]
    refused = lead.post("/v1/widgets/w-1/close", json={"expected_version": 2})    # the kind's own rule
    assert refused.status_code == 409 and "closed, not open" in refused.json()["error"]
    assert agent.get("/v1/widgets/w-1").json()["label"] == "蓝色"

    for bad in ({}, {"expected_version": "1"}, {"expected_version": True}, {"expected_version": 0}, [1]):
        assert lead.post("/v1/widgets/w-1/close", json=bad).status_code == 422, bad
    assert lead.post("/v1/widgets/w-1/open", json={"expected_version": 2}).status_code == 404
    assert lead.post("/v1/widgets/w-9/close", json={"expected_version": 1}).status_code == 404
    again = agent.post("/v1/widgets", json={"id": "w-1", "label": "x"})            # an id taken: both shown
    assert again.status_code == 409 and again.json()["current"]["version"] == 2


def test_every_command_leaves_one_audit_row_with_before_and_after(api):
    agent, lead = api("1001", "agent"), api("2001", "lead")
    agent.post("/v1/widgets", json={"id": "w-1", "label": "a"})
    lead.post("/v1/widgets/w-1/close", json={"expected_version": 1})
    lead.post("/v1/widgets/w-1/close", json={"expected_version": 1})               # stale: no row
    rows = lead.get("/v1/audit", params={"kind": "widgets"}).json()["audit"]
    assert [(r["action"], r["agent_id"], r["before"] and r["before"]["state"], r["after"]["state"],
             r["after"]["version"], r["team"], r["site"]) for r in rows] == [
        ("test_widget.create", "1001", None, "open", 1, "north", "shanghai"),
        ("test_widget.close", "2001", "open", "closed", 2, "north", "shanghai")]


def test_a_kind_is_read_within_the_readers_reach_with_a_cursor(api):
    mine, mate, lead, far = api("1001", "agent"), api("1002", "agent"), api("2001", "lead"), \
        api("3001", "manager", site="beijing")
    for n, who in enumerate((mine, mate, mine)):
        assert who.post("/v1/widgets", json={"id": f"w-{n}", "label": str(n)}).status_code == 201
    assert [w["id"] for w in mine.get("/v1/widgets").json()["widgets"]] == ["w-0", "w-2"]
    assert mine.get("/v1/widgets/w-1").status_code == 403
    first = lead.get("/v1/widgets", params={"limit": 2}).json()
    assert [w["id"] for w in first["widgets"]] == ["w-0", "w-1"] and first["more"]
    lead.post("/v1/widgets/w-0/close", json={"expected_version": 1})                # changes: comes again, last
    rest = lead.get("/v1/widgets", params={"since": first["cursor"]}).json()
    assert [(w["id"], w["version"]) for w in rest["widgets"]] == [("w-2", 1), ("w-0", 2)] and not rest["more"]
    assert far.get("/v1/widgets").json()["widgets"] == []


def test_two_people_deciding_on_the_same_version_at_once_one_wins_the_other_sees_it(api):
    api("1001", "agent").post("/v1/widgets", json={"id": "w-1", "label": "a"})
    leads = [api(f"20{n}", "lead").device for n in range(4)]
    storage, barrier, results = api.storage, threading.Barrier(len(leads)), []

    def decide(device):
        barrier.wait()
        try:
            results.append(framework.run(storage, device, WIDGETS, "w-1", "close",
                                         {"expected_version": 1, "label": device.agent_id})["label"])
        except framework.Stale as exc:
            results.append(("stale", exc.current["version"], exc.current["label"]))

    threads = [threading.Thread(target=decide, args=(d,)) for d in leads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [r for r in results if isinstance(r, str)]
    assert len(results) == len(leads) and len(winners) == 1
    assert sorted(results[i] for i in range(len(results)) if results[i] not in winners) == \
        [("stale", 2, winners[0])] * (len(leads) - 1)


def test_the_card_side_client_shows_both_versions_and_says_when_the_server_is_gone(api):
    from hangup_coach.sync.client import Refused, Stale, SyncClient, Unavailable
    from tests.server.harness import free_port

    agent, lead = api("1001", "agent"), api("2001", "lead")
    client = SyncClient("http://127.0.0.1:1", "unused")
    client._http = lead                                    # the real app, in-process (an httpx.Client)
    agent.post("/v1/widgets", json={"id": "w-1", "label": "a"})
    assert client.command("widgets", "w-1", "close", 1, label="b")["version"] == 2
    with pytest.raises(Stale) as stale:
        client.command("widgets", "w-1", "close", 1, label="c")
    assert stale.value.current["label"] == "b" and stale.value.yours["label"] == "c"
    with pytest.raises(Refused) as refused:
        client.command("widgets", "w-1", "close", 2)
    assert refused.value.status == 409 and "not open" in str(refused.value)
    gone = SyncClient(f"http://127.0.0.1:{free_port()}", "t", timeout=5)
    with pytest.raises(Unavailable, match="cannot be reached"):
        gone.command("widgets", "w-1", "close", 2)
    gone.close()

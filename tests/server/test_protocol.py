"""The protocol version on every request: cards from before it (no header) and newer cards are
served, a card older than the server still speaks is told to upgrade (426), a garbled version is a
400, every answer names the server's version; a newer card's unknown fields are kept. Real server
processes on SQLite and PostgreSQL."""

import httpx

from hangup_coach import wire
from hangup_coach.sync.client import SyncClient
from tests.server.harness import add_device
from tests.server.records import call

HEADER = wire.PROTOCOL_HEADER


def test_every_version_is_handled_and_every_answer_names_the_servers(server):
    _, token = add_device(server.database, "1001")
    auth = {"Authorization": f"Bearer {token}"}
    for sent, status, seen in ((None, 200, 1), ("1", 200, 1), (str(wire.PROTOCOL), 200, wire.PROTOCOL),
                               ("99", 200, 99)):
        headers = dict(auth, **({HEADER: sent} if sent else {}))
        reply = httpx.get(server.url + "/v1/me", headers=headers)
        assert reply.status_code == status, (sent, reply.text)
        assert reply.headers[HEADER] == str(wire.PROTOCOL)
        assert (reply.json()["protocol"], reply.json()["client_protocol"]) == (wire.PROTOCOL, seen)
    old = httpx.get(server.url + "/v1/me", headers=dict(auth, **{HEADER: "0"}))
    assert old.status_code == 426 and "upgrade" in old.json()["error"] and old.headers[HEADER] == str(wire.PROTOCOL)
    garbled = httpx.get(server.url + "/v1/me", headers=dict(auth, **{HEADER: "2.0-beta"}))
    assert garbled.status_code == 400 and HEADER in garbled.json()["error"]
    assert httpx.get(server.url + "/health").headers[HEADER] == str(wire.PROTOCOL)


def test_the_card_says_its_version_and_a_newer_cards_unknown_fields_are_kept(server):
    device_id, token = add_device(server.database, "1001")
    _, lead_token = add_device(server.database, "2001", "lead")
    with SyncClient(server.url, token) as card:
        assert card.me()["client_protocol"] == wire.PROTOCOL
    newer = call("1001", mood_score=7, future_flags={"x": [1, 2]})
    pushed = httpx.post(server.url + "/v1/push", json={"device_id": device_id, "records": [newer]},
                        headers={"Authorization": f"Bearer {token}", HEADER: str(wire.PROTOCOL + 1)})
    assert pushed.status_code == 200, pushed.text
    team = httpx.get(server.url + "/v1/team/changes", headers={"Authorization": f"Bearer {lead_token}"}).json()
    kept = team["calls"][0]
    assert (kept["mood_score"], kept["future_flags"]) == (7, {"x": [1, 2]})
    bad_name = call("1001", **{"Not A Key": 1})
    refused = httpx.post(server.url + "/v1/push", json={"device_id": device_id, "records": [bad_name]},
                         headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422 and "not a lower-case key" in refused.json()["error"]

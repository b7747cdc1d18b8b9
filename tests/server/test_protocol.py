"""The protocol version on every request: cards from before it (no header) and newer cards are
served, a card older than the server still speaks is told to upgrade (426), a garbled version is a
400, every answer names the server's version; a newer card's unknown fields are kept. Real server
processes on SQLite and PostgreSQL."""

from datetime import datetime, timezone

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


def test_a_cards_clock_far_off_is_corrected_for_and_told(server):
    """received_at bounds the order of evidence: a card a year fast does not win "latest", a card a
    month slow is still seen; both are told how far off they are."""
    from datetime import datetime, timedelta, timezone

    number = "+8613800138111"
    now = datetime.now(timezone.utc)
    ids = {}
    for agent, off in (("fast", timedelta(days=365)), ("slow", -timedelta(days=31)), ("right", timedelta(0))):
        device_id, token = add_device(server.database, agent)
        started = now + off - timedelta(minutes=10 if agent == "slow" else 5 if agent == "fast" else 1)
        record = call(agent, number, started=started)
        ids[agent] = record["id"]
        reply = httpx.post(server.url + "/v1/push", headers={"Authorization": f"Bearer {token}"},
                           json={"device_id": device_id, "records": [record], "sent_at": (now + off).isoformat()})
        assert reply.status_code == 200, reply.text
        skew = reply.json().get("clock_skew_seconds")
        if agent == "right":
            assert skew is None
        else:
            assert abs(skew + off.total_seconds()) < 120, (agent, skew)
    _, lead = add_device(server.database, "lead-1", "lead")
    evidence = httpx.get(f"{server.url}/v1/profiles/{number}", headers={"Authorization": f"Bearer {lead}"}).json()["evidence"]
    # newest first by the corrected times: right (1 min ago), fast (5), slow (10); none in the future
    assert [e["call_id"] for e in evidence] == [ids["right"], ids["fast"], ids["slow"]]
    assert all(datetime.fromisoformat(e["started_at"]) <= datetime.now(timezone.utc) for e in evidence)
    with SyncClient(server.url, lead) as card:                # the card sends its clock with every push
        card.push(card.me()["device_id"], [])
        assert card.clock_skew is None


def test_a_newer_cards_enum_values_are_kept_and_what_the_server_cannot_act_on_is_held(server):
    """Unknown values of the enums the server only stores and relays (class, sub-reason, ended_by,
    class source) are kept as sent; values it would have to act on (a block's scope) and record
    kinds it does not know are 422 `newer_than_server`, so the card keeps them for a server upgrade."""
    from tests.server.records import block_proposal

    device_id, token = add_device(server.database, "1001")
    _, lead_token = add_device(server.database, "2001", "lead")
    auth = {"Authorization": f"Bearer {token}"}
    number = "+8613800138222"
    newer = call("1001", number, caller_class="robocall", sub_reason="voice_bot", class_source="model",
                 ended_by="network")
    pushed = httpx.post(server.url + "/v1/push", json={"device_id": device_id, "records": [newer]}, headers=auth)
    assert pushed.status_code == 200, pushed.text
    lead = {"Authorization": f"Bearer {lead_token}"}
    kept = httpx.get(server.url + "/v1/team/changes", headers=lead).json()["calls"][0]
    assert (kept["caller_class"], kept["sub_reason"], kept["class_source"], kept["ended_by"]) == \
        ("robocall", "voice_bot", "model", "network")
    evidence = httpx.get(f"{server.url}/v1/profiles/{number}", headers=lead).json()["evidence"]
    assert [(e["call_id"], e["caller_class"]) for e in evidence] == [(newer["id"], "robocall")]
    today = datetime.now(timezone.utc).date().isoformat()
    report = httpx.get(server.url + "/v1/reports/teams", headers=lead, params={"first": today, "last": today})
    assert report.status_code == 200 and report.json()["total"]["calls"] == 1, report.text

    for record, field in ((block_proposal(number, scope="quarter"), "scope"),
                          ({"kind": "recording_meta", "id": "r-1", "version": 1, "data": {}}, "recording_meta")):
        refused = httpx.post(server.url + "/v1/push", headers=auth,
                             json={"device_id": device_id, "records": [call("1001"), record]})
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert (body["index"], body.get("newer_than_server"), body.get("upgrade_required")) == (1, True, None)
        assert field in body["error"] and "upgraded" in body["error"]
    garbled = httpx.post(server.url + "/v1/push", headers=auth,
                         json={"device_id": device_id, "records": [call("1001", caller_class="Not A Key")]})
    assert garbled.status_code == 422 and "newer_than_server" not in garbled.json(), garbled.text
    assert len(httpx.get(server.url + "/v1/team/changes", headers=lead).json()["calls"]) == 1   # nothing more stored

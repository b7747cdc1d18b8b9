"""The sync API against a real server process over real HTTP, on SQLite and on PostgreSQL."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from hangup_coach.server import migrations
from tests.server.records import block_proposal, call, note

NUMBER = "+8613800138000"


def test_health_says_which_database_and_schema(server):
    body = __import__("httpx").get(server.url + "/health").json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if "://" not in server.database else "postgresql")
    assert body["schema"] == ",".join(migrations.heads())


def test_me_describes_the_device(devices):
    lead = devices("2001", "lead", "north")
    me = lead.get("/v1/me").json()
    assert (me["device_id"], me["agent_id"], me["role"], me["team"]) == (lead.id, "2001", "lead", "north")
    assert datetime.fromisoformat(me["server_time"]).tzinfo is not None
    assert devices("1001").get("/v1/me").json()["team"] == "default"   # no --team: the whole centre


def test_push_is_acknowledged_and_idempotent(devices):
    agent, lead = devices("1001"), devices("2001", "lead")
    batch = [call("1001"), call("1001", "+8613900139000")]
    batch.append(note(batch[0]["id"]))
    first = agent.push(batch)
    assert first.status_code == 200, first.text
    acked = first.json()["acked"]
    assert acked == [{"kind": r["kind"], "id": r["id"], "version": 1} for r in batch]
    again = agent.push(batch)                       # delivered twice (a lost reply, a retry)
    assert again.status_code == 200 and again.json()["acked"] == acked
    pages, _ = lead.pull_all("/v1/team/changes")
    calls = [c for p in pages for c in p["calls"]]
    notes = [n for p in pages for n in p["notes"]]
    assert sorted(c["id"] for c in calls) == sorted(r["id"] for r in batch[:2])     # stored once each
    assert [n["id"] for n in notes] == [batch[2]["id"]] and notes[0]["text"] == batch[2]["data"]["text"]


def test_the_highest_version_wins_and_an_older_one_is_acknowledged(devices):
    agent, lead = devices("1001"), devices("2001", "lead")
    first = call("1001", disposition="resolved")
    assert agent.push([first]).status_code == 200
    newer = call("1001", call_id=first["id"], version=3, disposition="escalated")
    assert agent.push([newer]).status_code == 200
    older = call("1001", call_id=first["id"], version=2, disposition="missed")
    reply = agent.push([older])
    assert reply.status_code == 200 and reply.json()["acked"] == [{"kind": "call", "id": first["id"], "version": 2}]
    pages, _ = lead.pull_all("/v1/team/changes")
    rows = [c for p in pages for c in p["calls"]]
    assert [(r["version"], r["disposition"]) for r in rows] == [(3, "escalated")]


def test_a_bad_record_refuses_the_whole_batch(devices):
    agent, lead = devices("1001"), devices("2001", "lead")
    good = call("1001")
    bad = call("1001", caller_number="13800138000")        # not E.164
    reply = agent.push([good, bad])
    assert reply.status_code == 422
    assert reply.json()["index"] == 1 and "caller_number" in reply.json()["error"]
    pages, _ = lead.pull_all("/v1/team/changes")
    assert not any(p["calls"] for p in pages)
    assert agent.get(f"/v1/profiles/{NUMBER}").status_code == 404


def test_two_agents_share_what_they_know_about_a_caller(devices):
    a, b = devices("1001"), devices("1002")
    now = datetime.now(timezone.utc)
    pestering = [call("1001", NUMBER, started=now - timedelta(days=d), caller_class="no_value",
                      sub_reason="harassment", class_source="agent") for d in (2, 1)]
    pestering.append(call("1001", NUMBER, started=now - timedelta(days=40)))   # outside the 30 days
    assert a.push(pestering).status_code == 200
    pages, cursor = b.pull_all()
    profiles = [p for page in pages for p in page["profiles"]]
    assert [p["number"] for p in profiles] == [NUMBER]
    evidence = profiles[0]["evidence"]
    assert [e["call_id"] for e in evidence] == [pestering[1]["id"], pestering[0]["id"]]   # newest first
    assert all(e["caller_class"] == "no_value" and e["class_source"] == "agent" and e["agent_id"] == "1001"
               for e in evidence)
    assert set(evidence[0]) == {"call_id", "agent_id", "started_at", "caller_class", "sub_reason",
                                "class_source", "warnings", "explanations", "disposition"}
    one = b.get(f"/v1/profiles/{NUMBER}")
    assert one.status_code == 200 and one.json()["evidence"] == evidence
    assert b.get(f"/v1/profiles/%2B{NUMBER[1:]}").json() == one.json()      # "+" percent-encoded
    assert b.get("/v1/profiles/+8613911112222").status_code == 404
    assert b.get("/v1/changes", since=cursor).json()["profiles"] == []          # nothing new since


def test_a_profile_keeps_at_most_fifty_calls(devices):
    a = devices("1001")
    now = datetime.now(timezone.utc)
    batch = [call("1001", NUMBER, started=now - timedelta(hours=h)) for h in range(60)]
    assert a.push(batch).status_code == 200
    evidence = a.get(f"/v1/profiles/{NUMBER}").json()["evidence"]
    assert len(evidence) == 50 and evidence[0]["call_id"] == batch[0]["id"]


def test_changes_page_through_every_row_once(devices):
    a, b = devices("1001"), devices("1002")
    numbers = [f"+86139{i:08d}" for i in range(25)]
    assert a.push([call("1001", n) for n in numbers]).status_code == 200
    assert a.push([block_proposal("+8613000000001")]).status_code == 200
    pages, cursor = b.pull_all(limit=7)
    assert len(pages) == 4 and [p["more"] for p in pages] == [True, True, True, False]
    seen = [p["number"] for page in pages for p in page["profiles"]]
    assert sorted(seen) == sorted(numbers)
    blocks = [x for page in pages for x in page["blocklist"]]
    assert [(x["number"], x["status"], x["proposed_by"]) for x in blocks] == [("+8613000000001", "proposed", "1001")]
    assert a.push([call("1001", numbers[3])]).status_code == 200   # one more call: that profile changes
    later = b.get("/v1/changes", since=cursor).json()
    assert [p["number"] for p in later["profiles"]] == [numbers[3]] and not later["more"]


def test_the_lead_reads_the_team_and_only_the_team(devices):
    north, south = devices("1001", team="north"), devices("1101", team="south")
    lead = devices("2001", "lead", "north")
    ours, theirs = call("1001"), call("1101")
    assert north.push([ours, note(ours["id"])]).status_code == 200
    assert south.push([theirs, note(theirs["id"])]).status_code == 200
    pages, _ = lead.pull_all("/v1/team/changes")
    assert [c["id"] for p in pages for c in p["calls"]] == [ours["id"]]
    assert [n["call_id"] for p in pages for n in p["notes"]] == [ours["id"]]
    row = pages[0]["calls"][0]
    assert row["agent_id"] == "1001" and row["caller_number"] == NUMBER and row["version"] == 1


def test_cli_adds_lists_and_revokes_devices(server):
    env = dict(os.environ, HANGUP_COACH_HOME=str(server.work / "cli-home"))
    cli = [sys.executable, "-m", "hangup_coach", "server"]

    def run(*args):
        return subprocess.run(cli + list(args) + ["--database", server.database], env=env, capture_output=True,
                              text=True, timeout=60)

    added = run("add-device", "--agent", "1001", "--role", "agent", "--team", "north")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]            # alone on the last line
    assert len(token) >= 40 and " " not in token
    import httpx
    me = httpx.get(server.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    listed = run("list-devices")
    assert me["device_id"] in listed.stdout and "north" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    assert run("revoke-device", me["device_id"]).returncode == 0
    assert httpx.get(server.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "revoked" in run("list-devices").stdout
    assert run("revoke-device", "no-such-device").returncode == 1
    assert run("add-device", "--agent", "", "--role", "agent").returncode == 2

"""Done means, issue 17: sipp calls through Kamailio to baresip with the card attached. A number is
proposed by an agent, approved and activated by two different leads (each logged in from a home
of their own, with the real `hangup-coach blocklist` commands); the server's worker keeps
Kamailio in step (the test writes nothing to Kamailio). The blocked caller gets the proxy's 403
and baresip never sees the call; a short block expires and the next call rings; a revoked block
lets the call through at once."""

import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hangup_coach.core.coach import Phase
from tests.server.harness import ServerProcess, add_device
from tests.sync.agents import Agent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from kamailio import Kamailio  # noqa: E402

pytestmark = pytest.mark.e2e

CALLER = "13800138000"           # as the trunk presents it; the server blocks +8613800138000


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(condition, timeout=10.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def centre(tmp_path, start_baresip, open_desk):
    """baresip + the card; Kamailio in front; a server keeping Kamailio in step; an agent and two leads."""
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    proxy = Kamailio(baresip.sip_port).start()
    database = str(tmp_path / "server.db")
    server = ServerProcess(database, "--kamailio-rpc", proxy.rpc_url)
    people = {}
    try:
        server.start()
        for name, agent_id, role in (("agent", "1001", "agent"), ("lead1", "2001", "lead"), ("lead2", "2002", "lead")):
            person = Agent(tmp_path / name, agent_id)
            ok(person.login(server.url, add_device(database, agent_id, role)[1]))
            people[name] = person
        yield baresip, desk, proxy, server, people
    finally:
        for person in people.values():
            person.close()
        server.stop()
        proxy.close()


def call(qtbot, start_sipp, proxy) -> str:
    sipp = start_sipp(proxy, "through_proxy.xml", [CALLER], pause_ms=200)
    qtbot.waitUntil(sipp.done, timeout=20_000)
    assert sipp.returncode == 0, sipp.report()
    return next(first for _t, direction, first, _cid in sipp._messages()
                if direction == "received" and first.startswith("SIP/2.0 ") and not first.startswith("SIP/2.0 1"))


def rang(baresip) -> int:
    return baresip.log_tail(lines=2000).count(f"call on line 1 from sip:{CALLER}@")


def test_a_block_decided_by_two_leads_is_enforced_by_the_proxy_expires_and_is_lifted(qtbot, centre, start_sipp):
    baresip, desk, proxy, server, people = centre
    agent, lead1, lead2 = people["agent"], people["lead1"], people["lead2"]

    # the agent proposes (offline first: the outbox, then a sync), the leads decide and carry out
    ok(agent.run("blocklist", "propose", CALLER, "--scope", "day", "--reason", "harassment", "--db", str(agent.db_path)))
    ok(agent.sync())
    ok(lead1.run("blocklist", "approve", CALLER))
    refused = lead1.run("blocklist", "activate", CALLER)             # four-eyes: not the one who approved
    assert refused.returncode == 2 and "four-eyes" in refused.stderr
    short = datetime.now(timezone.utc) + timedelta(seconds=6)
    assert "active" in ok(lead2.run("blocklist", "activate", CALLER, "--expires-at", short.isoformat()))
    wait_for(lambda: CALLER in proxy.blocked_keys(), what="the server puts the block into Kamailio")

    before = rang(baresip)
    assert call(qtbot, start_sipp, proxy) == "SIP/2.0 403 Forbidden"
    assert rang(baresip) == before and desk.rows() == []            # no INVITE reached the phone or the card

    # the short block runs out: the next call rings
    wait_for(lambda: datetime.now(timezone.utc) > short + timedelta(seconds=1), timeout=15)
    assert call(qtbot, start_sipp, proxy).startswith("SIP/2.0 200 ")
    assert rang(baresip) == before + 1
    qtbot.waitUntil(lambda: len(desk.rows()) == 1, timeout=5000)
    assert "expired" in ok(lead1.run("blocklist", "list", "--format", "csv"))

    # blocked again for a day, then lifted: the next call goes through at once
    ok(agent.sync())                      # the agent's card learns the first block is over
    ok(agent.run("blocklist", "propose", CALLER, "--scope", "day", "--reason", "abuse", "--db", str(agent.db_path)))
    ok(agent.sync())
    ok(lead2.run("blocklist", "approve", CALLER))
    ok(lead1.run("blocklist", "activate", CALLER))
    wait_for(lambda: CALLER in proxy.blocked_keys(), what="the second block reaches Kamailio")
    assert call(qtbot, start_sipp, proxy) == "SIP/2.0 403 Forbidden"
    ok(lead1.run("blocklist", "revoke", CALLER, "--reason", "the customer called the complaints line: a real account"))
    lifted = time.monotonic()
    wait_for(lambda: CALLER not in proxy.blocked_keys(), timeout=3, what="revoking takes the block out of Kamailio")
    assert time.monotonic() - lifted < 3
    assert call(qtbot, start_sipp, proxy).startswith("SIP/2.0 200 ")
    assert rang(baresip) == before + 2
    qtbot.waitUntil(lambda: len(desk.rows()) == 2, timeout=5000)
    shown = ok(lead2.run("blocklist", "show", CALLER))
    assert "revoke   by 2001 (lead)  \"the customer called the complaints line: a real account\"" in shown
    assert "activate by 2002 (lead)" in shown and "13800138000" not in shown
    history = ok(lead1.run("blocklist", "list", "--format", "json"))
    assert '"revoked"' in history and '"expired"' in history and "138****8000" in history

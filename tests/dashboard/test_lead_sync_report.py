"""End to end: a real `hangup-coach server` process, an agent's card and a lead's card (each its own
local database, driven through the real `login` / `sync --once` commands), then the lead's
`hangup-coach report` on the lead's own file."""

import json

from tests.sync.conftest import agents, server, server_database  # noqa: F401  (the sync tests' fixtures)


def test_after_one_sync_the_leads_report_counts_the_agents_calls(agents):  # noqa: F811
    alice, lead = agents("1024"), agents("lead-7", role="lead")
    alice.record_call(1, ended_by="agent", note="已解释资费")
    alice.record_call(2, ended_by="customer")
    alice.record_call(3, ended_by="customer", caller_class="no_value", sub_reason="harassment",
                      warnings=1)
    lead.record_call(4, ended_by="customer")              # the lead's own: back in the team pull, counted once
    assert lead.sync().returncode == 0
    assert alice.sync().returncode == 0
    pulled = lead.sync()                                  # the lead syncs once after the agent
    assert pulled.returncode == 0, pulled.stderr
    assert "team: 3 call(s), 1 note(s)" in pulled.stdout
    evidence = lead.store.db.execute("SELECT call_id FROM team_calls WHERE version IS NULL").fetchall()
    assert ("lead-7-call-4",) in evidence                  # the caller profile's copy of the lead's own call

    out = lead.run("report", "--format", "json", "--db", str(lead.db_path))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {a: t["calls"] for a, t in data["agents"].items()} == {"1024": 3, "lead-7": 1}
    assert data["agents"]["1024"]["agent_ended"] == 1 and data["agents"]["1024"]["customer_ended"] == 2
    assert data["total"]["calls"] == 4 and data["classes"]["no_value"]["calls"] == 1
    assert lead.store.open_calls() == []                   # still never the lead's own open calls

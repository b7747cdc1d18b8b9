"""The multi-team report endpoint through a real server: a manager sees the teams of its site, a
lead its team, an admin the centre, an agent nothing; the figures are the card's figures."""

from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from hangup_coach.core.policy import Policy
from hangup_coach.store.db import open_db
from hangup_coach.store.reports import ReportQuery, build_report
from tests.server.harness import Device, add_device
from tests.server.records import call

DAY = "2026-06-01"                                              # local (UTC+8)
START = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)         # 10:00 local
PERIOD = {"first": DAY, "last": DAY, "utc_offset": "480"}


@pytest.fixture
def site(server):
    made = []

    def device(agent, role, team, place):
        d = Device(server, *add_device(server.database, agent, role, team, place))
        made.append(d)
        return d

    pushed = {}
    for agent, team, place, calls in (
            ("1001", "north", "shanghai", [dict(ended_by="agent"),
                                           dict(ended_by="customer", caller_class="no_value", sub_reason="harassment",
                                                warnings=1)]),
            ("1002", "south", "shanghai", [dict(ended_by="customer", explanations=3, caller_class="non_regular",
                                                sub_reason="closed_case")]),
            ("2001", "north", "beijing", [dict(ended_by="agent")])):
        records = [call(agent, started=START + timedelta(minutes=i), **fields) for i, fields in enumerate(calls)]
        records.append(call(agent, started=START - timedelta(days=2)))          # outside the period
        assert device(agent, "agent", team, place).push(records).status_code == 200
        pushed[(place, team)] = pushed.get((place, team), []) + records[:-1]
    yield {"pushed": pushed, "device": device}
    for d in made:
        d.close()


def teams(reply: httpx.Response) -> dict:
    assert reply.status_code == 200, reply.text
    return {(t["site"], t["team"]): t["tally"] for t in reply.json()["teams"]}


def card_figures(tmp_path, records: list[dict]) -> dict:
    """The same calls in a card's file, added up by the card's report."""
    db = open_db(tmp_path / f"card-{len(records)}.db")
    try:
        for r in records:
            db.table("calls").insert({"id": r["id"], **{k: v for k, v in r["data"].items() if k != "version"}})
        first = date.fromisoformat(DAY)
        return asdict(build_report(db, ReportQuery(first, first, utc_offset_minutes=480), Policy()).total)
    finally:
        db.conn.close()


def test_a_manager_sees_its_sites_teams_a_lead_its_team_an_admin_the_centre(site, tmp_path):
    manager = site["device"]("m-1", "manager", "ops", "shanghai")
    lead = site["device"]("l-1", "lead", "north", "shanghai")
    admin = site["device"]("root", "admin", "ops", "beijing")

    seen = teams(manager.get("/v1/reports/teams", **PERIOD))
    assert set(seen) == {("shanghai", "north"), ("shanghai", "south")}
    assert (seen[("shanghai", "north")]["calls"], seen[("shanghai", "north")]["agent_ended"]) == (2, 1)
    assert (seen[("shanghai", "south")]["calls"], seen[("shanghai", "south")]["explanations"]) == (1, 3)
    assert manager.get("/v1/reports/teams", **PERIOD).json()["scope"] == "site"

    assert set(teams(lead.get("/v1/reports/teams", **PERIOD))) == {("shanghai", "north")}
    assert set(teams(admin.get("/v1/reports/teams", **PERIOD))) == {
        ("shanghai", "north"), ("shanghai", "south"), ("beijing", "north")}

    # the figures are the card's: the same calls in a lead's file give the same tally
    for key, tally in seen.items():
        assert tally == pytest.approx(card_figures(tmp_path, site["pushed"][key]))
    total = manager.get("/v1/reports/teams", **PERIOD).json()["total"]
    assert total == pytest.approx(card_figures(tmp_path, site["pushed"][("shanghai", "north")]
                                               + site["pushed"][("shanghai", "south")]))


def test_an_agent_a_stranger_and_a_bad_period_are_refused(site, server):
    agent = site["device"]("1003", "agent", "north", "shanghai")
    assert agent.get("/v1/reports/teams", **PERIOD).status_code == 403
    assert httpx.get(f"{server.url}/v1/reports/teams", params=PERIOD).status_code == 401
    manager = site["device"]("m-2", "manager", "ops", "shanghai")
    for bad in ({"first": "1 June"}, {"last": "2026-05-01"}, {"utc_offset": "eight"}, {"utc_offset": "9999"},
                {"first": "2024-01-01"}):
        reply = manager.get("/v1/reports/teams", **{**PERIOD, **bad})
        assert reply.status_code == 400 and reply.json()["error"], bad

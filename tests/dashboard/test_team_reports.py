"""A lead's file: the figures cover the lead's own calls and the team's calls the sync pulled into
`team_calls` (migration 0007), each once, and never the caller-profile evidence rows there."""

from datetime import date

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hangup_coach.core.stats import Scenario
from hangup_coach.store import pulled
from hangup_coach.store.db import MIGRATIONS, open_db
from hangup_coach.store.reports import ReportQuery, agent_ids, build_report

from .conftest import add_call, at, call_row, iso
from .test_reports import POLICY, report

PULLED_AT = "2026-07-01T00:00:00.000+00:00"


def team_call(db, start: str, version: int = 1, **fields) -> dict:
    """A call of the team as the lead's sync applies it (store/pulled.py); returns the row sent."""
    row = call_row(start, **fields)
    assert pulled.apply_team_call(db, row, version, PULLED_AT)
    return row


def evidence(db, start: str, agent: str, cls: str = "no_value", call_id: str | None = None,
             explanations: int = 0, warnings: int = 1) -> str:
    """A caller profile's evidence row (any agent's card pulls these): a few columns, version NULL."""
    call_id = call_id or f"ev-{agent}-{start}"
    pulled.apply_profile(db, {"number": "+8613800138000", "evidence": [
        {"call_id": call_id, "agent_id": agent, "started_at": iso(at(start)), "caller_class": cls,
         "sub_reason": "", "class_source": "agent", "warnings": warnings, "explanations": explanations, "disposition": "resolved"}]},
        PULLED_AT)
    return call_id


def lead_file(db) -> dict:
    ids = {
        "own": add_call(db, "2026-06-01 10:00:00", agent="lead-7", ended_by="agent", talk=100),
        "team1": team_call(db, "2026-06-01 11:00:00", agent="1001", ended_by="customer", talk=200)["id"],
        "team2": team_call(db, "2026-06-12 11:00:00", agent="1001", ended_by="agent", cls="non_regular",
                           explanations=4, allowed=120, talk=300)["id"],
        "team3": team_call(db, "2026-06-12 12:00:00", agent="1002", ended_by="customer", cls="no_value",
                           warnings=1, allowed=30, talk=60)["id"],
    }
    evidence(db, "2026-06-01 09:00:00", "1003")                     # another team's agent: never counted
    evidence(db, "2026-06-12 09:00:00", "1003", cls="non_regular")
    evidence(db, "2026-06-12 11:00:00", "1001", cls="non_regular", call_id=ids["team2"], explanations=4,
             warnings=0)                                                      # the same call, as evidence
    # a team row that is also one of the lead's own calls: the pull skips those, and the file refuses
    # them from any other writer (a lead's script)
    db.execute("INSERT INTO team_calls (call_id, agent_id, started_at, caller_class, ended_by, version, updated_at)"
               " SELECT id, agent_id, started_at, caller_class, ended_by, 1, updated_at FROM calls")
    return ids


def test_a_leads_figures_count_own_and_team_calls_once_and_never_evidence(db):
    ids = lead_file(db)
    assert db.execute("SELECT count(*) FROM team_calls").fetchone()[0] == 5    # 3 team, 2 evidence: no own copy
    r = report(db, scenarios=(Scenario(explanations=2),))
    t = r.total
    assert (t.calls, t.answered, t.agent_ended, t.customer_ended) == (4, 4, 2, 2)
    assert t.handle_seconds == pytest.approx(660, abs=1e-3)
    assert {a: x.calls for a, x in r.agents.items()} == {"1001": 2, "1002": 1, "lead-7": 1}
    assert {c: x.calls for c, x in r.classes.items()} == {"regular": 2, "non_regular": 1, "no_value": 1}
    assert (r.before.calls, r.after.calls) == (2, 2)                          # the policy starts on 10 June
    assert r.explanations == {4: 1} and r.warnings == {1: 1}
    assert r.what_if[0].calls_touched == 1                                    # team2, the only non-regular call
    assert agent_ids(db) == ["1001", "1002", "lead-7"]                        # not 1003 (evidence only)

    db.table("feedback").insert_all([
        {"call_id": ids["team3"], "day": "2026-06-12", "score": 2.0, "imported_at": PULLED_AT},
        {"call_id": "ev-1003-2026-06-12 09:00:00", "day": "2026-06-12", "score": 5.0, "imported_at": PULLED_AT}])
    one = report(db, agents=("1002",))
    assert one.total.calls == 1 and one.feedback.scores_after.n == 1 and one.feedback.scores_after.total == 2.0
    assert report(db, agents=("1003",)).feedback.scores_after.n == 0            # an evidence row's call: not a call here


def test_a_team_call_that_changes_after_a_report_shows_the_change_in_the_next(db):
    lead_file(db)
    first = dict(report(db).days)[date(2026, 6, 12)]
    assert (first.calls, first.agent_ended) == (2, 1)
    changed = call_row("2026-06-12 12:00:00", agent="1002", ended_by="agent", cls="no_value", warnings=1,
                       allowed=30, talk=60)
    row = db.execute("SELECT call_id FROM team_calls WHERE agent_id = '1002'").fetchone()
    assert pulled.apply_team_call(db, dict(changed, id=row[0]), 2, PULLED_AT)   # the agent corrected it
    team_call(db, "2026-06-12 15:00:00", agent="1002", ended_by="customer")     # and took another call
    again = dict(report(db).days)[date(2026, 6, 12)]
    assert (again.calls, again.agent_ended, again.customer_ended) == (3, 2, 1)

    evidence(db, "2026-06-12 16:00:00", "1003")          # evidence never counts
    assert dict(report(db).days)[date(2026, 6, 12)].calls == 3


def test_team_calls_pulled_before_the_migration_are_counted_in_days_already_kept(tmp_path):
    path = tmp_path / "lead.db"
    old = Migrations("hangup_coach")
    for name, fn in MIGRATIONS:
        if name < "0007":
            old(name=name)(fn)
    before = Database(path)
    old.apply(before)
    assert pulled.apply_team_call(before, call_row("2026-06-01 11:00:00", agent="1001"), 3, PULLED_AT)
    before.execute("INSERT INTO report_days VALUES (480, '2026-06-01')")   # kept by 0006's report: no calls that day
    before.conn.commit()
    before.conn.close()
    db = open_db(path)   # 0007
    try:
        assert dict(report(db).days)[date(2026, 6, 1)].calls == 1
    finally:
        db.conn.close()


def test_the_what_if_reads_team_calls(db):
    for agent in ("1001", "1002"):
        team_call(db, "2026-06-12 11:00:00", agent=agent, ended_by="customer", closure=50, talk=56)
    query = ReportQuery(date(2026, 6, 1), date(2026, 6, 30), utc_offset_minutes=480)
    [grace] = build_report(db, query, POLICY, (Scenario(grace_seconds=3.0),)).what_if
    assert grace.calls_touched == 2 and grace.after_allowed_seconds == pytest.approx(2 * 3, abs=1e-3)


def test_the_dashboards_agent_filter_lists_the_team_and_shows_a_team_agents_calls(qtbot, tmp_path):
    from .test_dashboard import open_dashboard

    path = tmp_path / "lead.db"
    db = open_db(path)
    lead_file(db)
    team_call(db, "2026-06-03 10:00:00", agent="1002", ended_by="agent")
    db.conn.close()
    window = open_dashboard(qtbot, path)
    assert [window.agent.itemData(i) for i in range(window.agent.count())] == [None, "1001", "1002", "lead-7"]
    assert window.report.total.calls == 3           # 1 to 7 June: the lead's call, 1001's and 1002's
    window.agent.setCurrentIndex(window.agent.findData("1002"))
    qtbot.waitUntil(lambda: window.report.query.agents == ("1002",) and not window.loading, timeout=10_000)
    assert window.report.total.calls == 1 and window.report.total.agent_ended == 1


def test_an_own_call_saved_after_its_team_copy_counts_once(db):
    row = team_call(db, "2026-06-01 11:00:00", agent="lead-7", ended_by="agent")   # the lead's, from another card
    assert report(db).total.calls == 1
    db.table("calls").insert(row)                    # the same call saved on this card
    assert db.execute("SELECT version FROM team_calls WHERE call_id = ?", [row["id"]]).fetchone() == (None,)
    assert pulled.apply_team_call(db, row, 2, PULLED_AT) is False       # a later pull leaves it alone
    db.execute("UPDATE team_calls SET version = 3 WHERE call_id = ?", [row["id"]])   # and so does a script
    assert db.execute("SELECT version FROM team_calls WHERE call_id = ?", [row["id"]]).fetchone() == (None,)
    r = report(db)
    assert r.total.calls == 1 and r.agents["lead-7"].agent_ended == 1
    assert agent_ids(db) == ["lead-7"]

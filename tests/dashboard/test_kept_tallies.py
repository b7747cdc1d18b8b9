"""The report's tallies are kept by the writes themselves (store/tallies.py): after any mix of
writes, edits and deletes, from the card, the sync and a script, they equal a recount."""

import random
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from hangup_coach.core.stats import Tally
from hangup_coach.store import pulled, tallies
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import MIGRATIONS, open_db
from hangup_coach.store.calls import record_from_row

from .conftest import add_call, call_row, iso
from .test_reports import report

OFFSETS = (480, 0, -330)
TABLES = {"report_cells": 4, "report_hours": 5, "report_counts": 6,   # table: its key columns (after the first)
          "report_what_if": 3}
PULLED_AT = "2026-07-01T00:00:00.000+00:00"


def kept(db) -> dict:
    """Every kept tally row: {(table, utc_offset, key…): values}, floats rounded (added and
    subtracted over and over they may differ from a recount in the last bits)."""
    out = {}
    for table, keys in TABLES.items():
        for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4"):
            values = tuple(round(v, 6) if isinstance(v, float) else v for v in row[1 + keys:])
            out[(table, *row[:1 + keys])] = values
    return out


def recount(db) -> dict:
    """The tallies built from scratch, as an old file's are (tallies.keep_tallies)."""
    db.execute("SAVEPOINT recount")
    try:
        for table in TABLES:
            db.execute(f"DELETE FROM {table}")
        db.execute("UPDATE report_offsets SET built_until = ''")
        db.execute("UPDATE report_what_if_built SET built_until = ''")
        for offset, in db.execute("SELECT utc_offset FROM report_offsets").fetchall():
            tallies.keep_tallies(db, offset)
        return kept(db)
    finally:
        db.execute("ROLLBACK TO recount")
        db.execute("RELEASE recount")


def plain_sql(db, offset: int) -> dict:
    """A few figures per (local day, agent, class) straight from the calls, written independently."""
    rows = db.execute(f"""
        SELECT date(started_at, '{offset:+d} minutes'), agent_id, caller_class, count(*), total(ended_by = 'agent'),
               round(sum(CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL
                              THEN (julianday(ended_at) - julianday(answered_at)) * 86400 ELSE 0 END), 6)
        FROM (SELECT started_at, agent_id, caller_class, ended_by, answered_at, ended_at FROM calls
              UNION ALL SELECT started_at, agent_id, caller_class, ended_by, answered_at, ended_at FROM team_calls
              WHERE version IS NOT NULL)
        GROUP BY 1, 2, 3""")
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def cells_in_brief(db, offset: int) -> dict:
    rows = db.execute("SELECT day, agent_id, caller_class, calls, agent_ended, round(handle_seconds, 6)"
                      " FROM report_cells WHERE utc_offset = ?", [offset])
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


class Writer:
    """Random writes as the app's writers make them: the card (CallStore.save_call, its upsert),
    the lead's sync (pulled.apply_team_call, evidence), a script (plain UPDATE / DELETE)."""

    def __init__(self, db, seed: int):
        self.db, self.rnd, self.store = db, random.Random(seed), CallStore(db)
        self.n = 0

    def start(self) -> str:
        day = self.rnd.randint(1, 6)
        return f"2026-06-0{day} {self.rnd.choice(['00', '07', '08', '15', '16', '23'])}:{self.rnd.randint(0, 59):02d}:00"

    def row(self, call_id: str | None = None) -> dict:
        self.n += 1
        rnd = self.rnd
        talk = rnd.choice([None, 30, 61.5, 300])
        row = call_row(self.start(), talk=talk,
                       ended_by=rnd.choice(["agent", "customer", "system", None]),
                       agent=rnd.choice(["1001", "1002", "lead-7"]),
                       cls=rnd.choice(["regular", "no_value", "non_regular", "unknown"]),
                       closure=rnd.choice([None, 10]) if talk else None,
                       allowed=rnd.choice([None, 20, 400]) if talk else None,
                       in_grace=rnd.random() < 0.2, early=rnd.random() < 0.2,
                       explanations=rnd.randint(0, 7), warnings=rnd.randint(0, 4), open_call=rnd.random() < 0.1)
        row["id"] = call_id or f"w{self.n}"
        return row

    def own(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM calls")]

    def team(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT call_id FROM team_calls")]

    def step(self) -> None:
        rnd, db = self.rnd, self.db
        kind = rnd.choice(["card_new", "card_edit", "script_edit", "delete", "team", "team_edit", "evidence",
                           "team_delete", "own_of_team"])
        own, team = self.own(), self.team()
        if kind == "card_new" or (kind in ("card_edit", "script_edit", "delete") and not own):
            self.store.save_call(record_from_row(dict(self.row(),
                                                      **_defaults())))
        elif kind == "card_edit":
            edited = record_from_row(dict(self.row(rnd.choice(own)), **_defaults()))
            self.store.save_call(edited)
        elif kind == "script_edit":
            column, value = rnd.choice([("ended_by", "agent"), ("caller_class", "no_value"), ("explanations", 3),
                                        ("started_at", iso(datetime(2026, 6, 3, 16, 30, tzinfo=timezone.utc))),
                                        ("agent_id", "1009"), ("answered_at", None), ("wrapped_up_at", "x")])
            db.execute(f"UPDATE calls SET {column} = ? WHERE id = ?", [value, rnd.choice(own)])
        elif kind == "delete":
            db.execute("DELETE FROM calls WHERE id = ?", [rnd.choice(own)])
        elif kind == "team" or (kind in ("team_edit", "team_delete", "own_of_team") and not team):
            pulled.apply_team_call(db, self.row(f"t{self.n}"), rnd.randint(1, 5), PULLED_AT)
        elif kind == "team_edit":
            pulled.apply_team_call(db, self.row(rnd.choice(team)), rnd.randint(1, 9), PULLED_AT)
        elif kind == "evidence":   # a profile's evidence: a new row, or a team row turned into evidence
            target = rnd.choice(team + [f"e{self.n}"])
            row = self.row(target)
            pulled.apply_profile(db, {"number": "+8613800138000", "evidence": [
                {k: row[k] for k in ("agent_id", "started_at", "caller_class", "warnings", "explanations")}
                | {"call_id": target, "sub_reason": "", "class_source": "agent", "disposition": "resolved"}]}, PULLED_AT)
        elif kind == "team_delete":
            db.execute("DELETE FROM team_calls WHERE call_id = ?", [rnd.choice(team)])
        else:   # the lead's own card records a call the team pull had: its team copy leaves the figures
            self.store.save_call(record_from_row(dict(self.row(rnd.choice(team)), **_defaults())))


def _defaults() -> dict:
    return {"line_call_id": None, "close_reason": "", "sub_reason": "", "class_reason": "", "class_reason_key": "",
            "class_source": "auto", "disposition": None, "wrapped_up_at": None, "times_reconstructed": 0}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tallies_always_equal_a_recount_after_random_writes_edits_and_deletes(db, seed, monkeypatch):
    monkeypatch.setattr(tallies, "CHUNK_CALLS", 7)   # many chunks, with writes between them
    writer = Writer(db, seed)
    tallies.keep_tallies(db, 480)
    for _ in range(60):
        writer.step()
    # a second offset registered on a file that already has calls: built in chunks while the card
    # and the sync keep writing between them
    tallies.keep_tallies(db, -330, lambda done, total: [writer.step() for _ in range(3)])
    for i in range(150):
        writer.step()
        if i % 25 == 0:
            assert kept(db) == recount(db)
    assert kept(db) == recount(db)
    built = db.execute("SELECT utc_offset, built_until FROM report_offsets ORDER BY 1").fetchall()
    assert built == [(-330, tallies.ALL), (0, tallies.ALL), (480, tallies.ALL)]
    assert db.execute("SELECT built_until FROM report_what_if_built").fetchall() == [(tallies.ALL,)]
    eligible = db.execute("SELECT count(*) FROM review_calls WHERE ended_at IS NOT NULL AND (caller_class ="
                          " 'non_regular' AND answered_at IS NOT NULL OR caller_class = 'regular' AND"
                          " closure_confirmed_at IS NOT NULL)").fetchone()[0]
    assert db.execute("SELECT count(*) FROM report_what_if").fetchone()[0] == eligible
    for offset in OFFSETS:
        assert cells_in_brief(db, offset) == plain_sql(db, offset)
    assert db.execute("SELECT count(*) FROM report_cells WHERE calls = 0").fetchone()[0] == 0


def test_every_figure_the_report_reads_has_its_rule(db):
    assert list(tallies.ROW) == [f.name for f in fields(Tally)]


def test_a_report_does_not_add_up_the_calls_again(db):
    add_call(db, "2026-06-01 10:00:00")
    report(db)
    db.execute("DROP VIEW review_calls")   # the figures are read from the tallies alone
    db.execute("DROP VIEW team_pull_calls")
    t = report(db).total
    assert t.calls == 1


def test_a_file_from_before_builds_its_tallies_once_with_progress(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    old = Migrations("hangup_coach")
    for name, fn in MIGRATIONS:
        if not name.startswith(("reports_0002", "reports_0003")):
            old(name=name)(fn)
    before = Database(path)
    old.apply(before)
    for day in range(1, 31):
        add_call(before, f"2026-06-{day:02d} 10:00:00", ended_by="agent" if day % 2 else "customer")
    before.execute("INSERT INTO report_days VALUES (480, '2026-06-01')")   # a report read it in +480
    before.conn.commit()
    before.conn.close()
    monkeypatch.setattr(tallies, "CHUNK_CALLS", 10)
    db = open_db(path)
    try:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE '%report_dirty%'").fetchone()[0] == 0
        steps = []
        assert tallies.keep_tallies(db, 480, lambda done, total: steps.append((done, total))) == 60
        assert steps == [(n, 6) for n in range(1, 7)]     # the what-if's rows, then the offset's tallies
        assert tallies.keep_tallies(db, 480, lambda *a: steps.append(a)) == 0 and len(steps) == 6
        t = report(db).total
        assert (t.calls, t.agent_ended, t.customer_ended) == (30, 15, 15)
    finally:
        db.conn.close()


def test_a_new_file_keeps_this_machines_offset_from_the_start(db):
    assert db.execute("SELECT built_until FROM report_offsets WHERE utc_offset = ?",
                      [tallies.local_utc_offset()]).fetchone() == (tallies.ALL,)

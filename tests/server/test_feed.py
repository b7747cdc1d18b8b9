"""The narrow agent feed (`/v1/changes`): a card gets what its classification needs, the numbers
that rang at its team within the evidence window, in a bounded number of pages however large the
centre's table, each page in a fixed number of set-based queries (SQLite and PostgreSQL)."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from hangup_coach import wire
from hangup_coach.server import permissions
from hangup_coach.server.storage import Storage, iso
from hangup_coach.server.storage.changes import START, parse
from hangup_coach.server.storage.schema import records
from tests.server.records import call

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def storage(database):
    made = Storage(database, clock=lambda: NOW)
    made.migrate()
    yield made
    made.close()


def seed(storage: Storage, rows: list[tuple[str, str, str, int]]) -> None:
    """Calls (agent, team, number, days ago) straight into the table, as pushes leave them."""
    with storage.write(advisory_lock=False) as conn:
        stamp = storage.stamp(conn, len(rows))
        values = []
        for (agent, team, number, days), seq in zip(rows, stamp.seqs):
            started = NOW - timedelta(days=days, minutes=5)
            record = call(agent, number, started=started)
            values.append(dict(kind="call", id=record["id"], version=1, seq=seq, tx=stamp.tx, agent_id=agent,
                               team=team, site="default", device_id=str(uuid.uuid4()), received_at=iso(started),
                               number=number, started_at=iso(started), call_id=None,
                               data=json.dumps(record["data"])))
        conn.execute(records.insert(), values)


def device(storage: Storage, agent: str, team: str):
    return storage.add_device(agent, "agent", team)[0]


def pull_all(storage: Storage, reader, limit: int) -> tuple[list[dict], int]:
    """Every page of `reader`'s feed from the start: (profiles in order, pages)."""
    reach = permissions.reach(reader, permissions.EVIDENCE_READ)
    since, profiles, pages = START, [], 0
    while True:
        page = storage.changes(reach, reader.team, since, limit)
        profiles += page["profiles"]
        pages += 1
        since = parse(page["cursor"])
        if not page["more"]:
            return profiles, pages


def test_a_card_gets_the_numbers_its_team_rang_recently_and_their_new_evidence(storage):
    mine, south = device(storage, "1001", "north"), device(storage, "3001", "south")
    seed(storage, [("1002", "north", "+8613800000001", 2),        # rang at my team: wanted
                   ("3002", "south", "+8613800000001", 1),        # ... and another team's evidence of it
                   ("3002", "south", "+8613800000002", 1),        # only another team's number
                   ("1002", "north", "+8613800000003", wire.PROFILE_DAYS + 5)])   # rang long ago
    profiles, _ = pull_all(storage, mine, 100)
    assert {p["number"] for p in profiles} == {"+8613800000001"}
    assert {e["agent_id"] for e in profiles[-1]["evidence"]} == {"1002", "3002"}    # the site's evidence
    # Not in the feed, but a ring-time lookup still answers them.
    reach = permissions.reach(mine, permissions.EVIDENCE_READ)
    assert storage.profile(reach, "+8613800000002")["evidence"][0]["agent_id"] == "3002"
    assert storage.profile(reach, "+8613800000003")["evidence"] == []          # outside the window
    # South's feed is south's own numbers.
    assert {p["number"] for p in pull_all(storage, south, 100)[0]} == {"+8613800000001", "+8613800000002"}
    # A delta: new evidence of a number my team rang (by another team) comes with my next pull.
    reach_cursor = storage.changes(reach, mine.team, START, 1000)["cursor"]
    seed(storage, [("3003", "south", "+8613800000001", 0), ("3003", "south", "+8613800000002", 0)])
    later = storage.changes(reach, mine.team, parse(reach_cursor), 1000)
    assert [p["number"] for p in later["profiles"]] == ["+8613800000001"]
    assert {e["agent_id"] for e in later["profiles"][0]["evidence"]} == {"1002", "3002", "3003"}


def test_a_new_cards_first_pull_at_a_large_table_is_a_few_pages_of_set_based_queries(storage):
    mine = device(storage, "1001", "north")
    # 6,000 calls of other teams and old calls of mine, 250 recent calls of my team on 120 numbers.
    other = [(f"3{i % 40:03d}", f"team-{i % 9}", f"+86139{i:08d}", i % 60) for i in range(5000)]
    old = [("1002", "north", f"+86137{i:08d}", wire.PROFILE_DAYS + 1 + i % 300) for i in range(1000)]
    recent = [("1002", "north", f"+86138{i % 120:08d}", i % wire.PROFILE_DAYS) for i in range(250)]
    for start in range(0, len(other), 1000):
        seed(storage, other[start:start + 1000])
    seed(storage, old)
    seed(storage, recent)
    statements = []
    listener = lambda *args: statements.append(args[2])     # noqa: E731 (conn, cursor, statement, ...)
    event.listen(storage.engine, "before_cursor_execute", listener)
    try:
        profiles, pages = pull_all(storage, mine, 100)
    finally:
        event.remove(storage.engine, "before_cursor_execute", listener)
    expected = {n for _, _, n, _ in recent}                  # the query written here: my team, in the window
    assert {p["number"] for p in profiles} == expected
    assert len(profiles) == len(expected)                    # each number once, however many calls it has
    assert pages == 2                                        # 120 numbers / 100 a page, not 6,250 rows
    assert all(len(p["evidence"]) >= 1 for p in profiles)
    # A page is one statement for its rows and three for its profiles (and its BEGIN), however many
    # numbers it has (60-100 here).
    assert len(statements) <= pages * 5, statements

"""Records only another version can take are held on the card, not stranded: a record the server
refuses with `upgrade_required` (an old card deciding a block) is sent again, and taken, once the
card is upgraded; one the card's own check cannot take waits for the card's next version; one the
server is too old for (`newer_than_server`) waits for the server's. Real server processes on
SQLite and PostgreSQL; the card's sync engine in the test."""

from datetime import datetime, timezone

import pytest

from hangup_coach import wire
from hangup_coach.store import outbox
from hangup_coach.sync import engine as engine_module
from hangup_coach.sync.client import SyncClient
from hangup_coach.sync.engine import Syncer
from tests.server.harness import add_device

from .agents import Agent

NUMBER = "+8613800138555"


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def card(server, tmp_path):
    """An agent's local database and a sync client logged in to the server as that agent."""
    _, token = add_device(server.database, "1024")
    agent = Agent(tmp_path / "home", "1024")
    client = SyncClient(server.url, token)
    yield agent, client
    client.close()
    agent.close()


def held(db) -> dict[str, str]:
    return {row[0]: row[1] for row in db.execute("SELECT kind, held_for FROM outbox WHERE held_for IS NOT NULL")}


def test_a_record_refused_for_upgrade_is_sent_again_after_the_card_is_upgraded(card, lead, monkeypatch):
    agent, client = card
    db = agent.store.db
    call_id = agent.record_call(1, NUMBER)
    agent.store.propose_block(NUMBER, "week", "harassment", "1024", call_id, datetime.now(timezone.utc))
    real_records = outbox.records

    def old_cards_records(db, entries):          # an old card pushed a block it had decided itself
        return [dict(r, data=dict(r["data"], status="approved")) if r["kind"] == "block_proposal" else r
                for r in real_records(db, entries)]

    monkeypatch.setattr(outbox, "records", old_cards_records)
    old = Syncer(db, client, card_version="0.0.9")
    report = old.round()
    assert report.pushed == 1 and len(report.held) == 1 and "upgrade" in report.held[0]   # the call went
    assert held(db) == {"block_proposal": "card 0.0.9"} and report.pending == 0 and not report.refused
    again = old.round()                           # the same card does not send it again
    assert (again.pushed, again.held, again.released) == (0, [], 0) and held(db)

    monkeypatch.setattr(outbox, "records", real_records)     # the upgraded card
    report = Syncer(db, client, card_version="0.1.0").round()
    assert (report.released, report.pushed, report.held, report.pending) == (1, 1, [], 0)
    assert held(db) == {} and outbox.rejected_count(db) == 0
    blocks = lead.get("/v1/blocklist").json()["blocks"]
    assert [(b["number"], b["status"]) for b in blocks] == [(NUMBER, "proposed")]


def test_what_the_cards_own_check_cannot_take_waits_for_the_cards_next_version(card, lead):
    agent, client = card
    db = agent.store.db
    good, bad = agent.record_call(1, NUMBER), agent.record_call(2, NUMBER)
    db.execute("UPDATE calls SET warnings = -1 WHERE id = ?", [bad])    # nothing the wire format takes
    db.conn.commit()
    report = Syncer(db, client, card_version="0.0.9").round()
    assert report.pushed == 1 and len(report.held) == 1 and "warnings" in report.held[0]
    assert held(db) == {"call": "card 0.0.9"}
    report = Syncer(db, client, card_version="0.1.0").round()   # released, checked again, still not
    assert (report.released, report.pushed, len(report.held)) == (1, 0, 1) and held(db) == {"call": "card 0.1.0"}
    calls = [c["id"] for c in lead.get("/v1/team/changes").json()["calls"]]
    assert calls == [good]


def test_what_the_server_is_too_old_for_waits_for_the_servers_next_version(card, lead, monkeypatch):
    agent, client = card
    db = agent.store.db
    agent.record_call(1, NUMBER)
    agent.store.propose_block(NUMBER, "week", "harassment", "1024", None, datetime.now(timezone.utc))
    real_records, real_parse = outbox.records, wire.parse_record

    def newer_cards_records(db, entries):        # a newer card knows a block scope this server does not
        return [dict(r, data=dict(r["data"], scope="quarter")) if r["kind"] == "block_proposal" else r
                for r in real_records(db, entries)]

    def newer_cards_check(raw):                  # ...and so does that card's own check
        if raw.get("kind") == "block_proposal":
            return real_parse(dict(raw, data=dict(raw["data"], scope="week")))
        return real_parse(raw)

    monkeypatch.setattr(outbox, "records", newer_cards_records)
    monkeypatch.setattr(engine_module.wire, "parse_record", newer_cards_check)
    syncer = Syncer(db, client, card_version="0.2.0")
    report = syncer.round()
    server_version = client.me()["server_version"]
    assert report.pushed == 1 and len(report.held) == 1 and "quarter" in report.held[0]
    assert held(db) == {"block_proposal": f"server {server_version}"}
    assert (syncer.round().released, held(db)) == (0, {"block_proposal": f"server {server_version}"})
    assert lead.get("/v1/blocklist").json()["blocks"] == []
    # The server says another version (upgraded): the next round queues the record again.
    with outbox.write_transaction(db):
        assert outbox.release_held(db, "0.2.0", server_version + ".1") == 1
    assert held(db) == {} and outbox.pending_count(db) == 1

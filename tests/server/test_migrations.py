"""Alembic builds the server's database: a database left by the server at commit 10348a3
(schema_migrations 1 and 2, kept as SQL fixtures) is carried to the newest schema by a real server,
keeping its rows; fresh and upgraded databases match the tables the queries use."""

import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

import hangup_coach.server.domain  # noqa: F401  (its kinds' tables join the metadata)
from hangup_coach.server import migrations
from hangup_coach.server.storage import Storage
from hangup_coach.server.storage.schema import metadata
from tests.server.harness import ServerProcess

FIXTURES = Path(__file__).parent / "fixtures"
NUMBER = "+8613800000001"


def load_old_database(database: str, request) -> None:
    """The fixture of commit 10348a3's schema and rows, into `database`."""
    if "://" not in database:
        with sqlite3.connect(database) as conn:
            conn.executescript((FIXTURES / "schema_10348a3.sqlite.sql").read_text(encoding="utf-8"))
        return
    postgres = request.getfixturevalue("postgres")
    subprocess.run([str(postgres.bindir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-X", "-d", database,
                    "-f", str(FIXTURES / "schema_10348a3.postgresql.sql")],
                   check=True, capture_output=True, text=True, timeout=60)


def drift(database: str) -> list:
    """What differs between the database and the tables the server's queries use."""
    url = database if "://" not in database else "postgresql+psycopg://" + database.split("://", 1)[1]
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def test_a_database_of_commit_10348a3_is_upgraded_by_a_real_server_keeping_its_rows(database, request):
    load_old_database(database, request)
    with ServerProcess(database, "--evidence-days", "3650") as server:   # its rows are from January: kept here
        health = httpx.get(server.url + "/health").json()
        assert health["schema"] == ",".join(migrations.heads())
        me = httpx.get(server.url + "/v1/me", headers={"Authorization": "Bearer token-a"})   # the old token
        assert me.status_code == 200, me.text
        assert (me.json()["agent_id"], me.json()["team"], me.json()["site"]) == ("a1", "team-1", "default")
        lead = {"Authorization": "Bearer token-l"}
        profile = httpx.get(f"{server.url}/v1/profiles/{NUMBER}", headers=lead).json()
        assert profile["case_id"] == "K-1"
        team = httpx.get(server.url + "/v1/team/changes", headers=lead).json()
        assert [c["id"] for c in team["calls"]] == ["c-1"]
        assert httpx.put(server.url + "/v1/cases", headers=lead,
                         json=[{"number": NUMBER, "case_id": "K-2"}]).status_code == 200
        audit = httpx.get(server.url + "/v1/audit", headers=lead).json()["audit"]
        assert [(a["kind"], a["record_id"], a["before"]["case_id"], a["after"]["case_id"]) for a in audit] == [
            ("case", NUMBER, "K-1", "K-2")]
    assert drift(database) == []
    engine = Storage(database).engine
    with engine.connect() as conn:
        # The fence: a server from before Alembic reads schema_migrations and refuses a version above its own.
        assert conn.execute(text("SELECT MAX(version) FROM schema_migrations")).scalar() == 1000
        # The case changed after the upgrade took a seq after the old rows' (1 and 2): change stamps
        # carry on from the old counter (on PostgreSQL its sequence starts there), none is reused.
        assert conn.execute(text("SELECT seq FROM cases WHERE number = :n"), {"n": NUMBER}).scalar() >= 3
    engine.dispose()


def test_a_fresh_database_matches_the_tables_the_queries_use_and_migrates_once(database):
    storage = Storage(database)
    try:
        first = storage.migrate()
        assert first == ",".join(migrations.heads())
        assert storage.migrate() == first                  # again: nothing to do
        with storage.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == len(migrations.heads())
            assert conn.execute(text("SELECT value FROM counters WHERE name = 'seq'")).scalar() == 0
    finally:
        storage.close()
    assert drift(database) == []


def test_a_database_of_an_unknown_newer_revision_is_refused(database):
    storage = Storage(database)
    try:
        storage.migrate()
        with storage.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
        with pytest.raises(migrations.SchemaTooNew, match="newer than this server"):
            storage.migrate()
    finally:
        storage.close()

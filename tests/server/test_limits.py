"""Bounded work: hostile JSON is a 400 (not a 500), a request that finds no free database connection
in time is a 503 with Retry-After, PostgreSQL cancels a statement that runs too long; on SQLite and
PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.testclient import TestClient

from hangup_coach.server.api.app import create_app
from hangup_coach.server.api.limits import DeviceRate
from hangup_coach.server.storage import Storage
from tests.server.records import call


def test_hostile_json_is_answered_400_and_the_server_goes_on(server, devices):
    agent, lead = devices("1001"), devices("2001", "lead")
    deep = b"[" * 200_000 + b"]" * 200_000
    huge_int = b'{"device_id": "%s", "records": [{"kind": "call", "id": "c1", "version": 1%s}]}' % (
        agent.id.encode(), b"0" * 5001)
    for path, method in (("/v1/push", "POST"), ("/v1/cases", "PUT")):
        for body in (deep, huge_int, b'{"a": ' * 50_000):
            reply = (lead if path == "/v1/cases" else agent).http.request(
                method, path, content=body, headers={"Content-Type": "application/json"})
            assert reply.status_code == 400, (path, body[:20], reply.status_code, reply.text[:200])
            assert "JSON" in reply.json()["error"]
    assert agent.push([call("1001")]).status_code == 200                  # the same worker, still serving
    assert "Traceback" not in server.messages()


@pytest.fixture
def tight(database):
    """The app over a storage with a tiny pool that gives up waiting for a connection quickly."""
    storage = Storage(database, pool_size=1, max_overflow=0, pool_timeout=0.3)
    storage.migrate()
    _, token = storage.add_device("1001", "agent")
    client = TestClient(create_app(storage), headers={"Authorization": f"Bearer {token}"})
    yield storage, client
    client.close()
    storage.close()


def test_pool_exhaustion_is_answered_503_with_retry_after(tight):
    storage, client = tight
    assert client.get("/v1/me").status_code == 200
    held = []
    while True:                                           # take every connection the pool has
        try:
            held.append(storage.engine.connect())
        except PoolTimeout:
            break
    try:
        busy = client.get("/v1/me")
        assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()
        assert "busy" in busy.json()["error"]
    finally:
        for conn in held:
            conn.close()
    assert client.get("/v1/me").status_code == 200        # free again: served


def test_postgresql_cancels_a_statement_past_the_timeout(postgres):
    storage = Storage(postgres.new_database(), statement_timeout_ms=200)
    try:
        with storage.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(3)"))
        with storage.engine.connect() as conn:             # the connection is usable again
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "200ms"
    finally:
        storage.close()


def test_a_device_past_its_rate_gets_429_and_the_others_go_on(database):
    storage = Storage(database)
    storage.migrate()
    now = [100.0]
    rate = DeviceRate(2.0, clock=lambda: now[0])           # 2 requests/s, a bucket of 8
    app = create_app(storage, rate=rate)
    (_, mine), (_, other) = storage.add_device("1001", "agent"), storage.add_device("1002", "agent")
    busy, calm = (TestClient(app, headers={"Authorization": f"Bearer {t}"}) for t in (mine, other))
    try:
        codes = [busy.get("/v1/me").status_code for _ in range(9)]
        assert codes == [200] * 8 + [429]
        refused = busy.get("/v1/me")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "too many requests" in refused.json()["error"]
        assert calm.get("/v1/me").status_code == 200         # another device is not held back
        now[0] += 1.0                                        # a second later: two more
        assert [busy.get("/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        busy.close()
        calm.close()
        storage.close()


def test_the_servers_device_rate_option_holds_a_device_back(tmp_path):
    from tests.server.harness import Device, ServerProcess, add_device

    database = str(tmp_path / "server.db")
    with ServerProcess(database, "--device-rate", "0.5", "--max-connections", "50") as server:
        agent = Device(server, *add_device(database, "1001"))
        codes = [agent.get("/v1/me").status_code for _ in range(3)]   # a bucket of 2
        assert codes == [200, 200, 429], codes
        agent.close()

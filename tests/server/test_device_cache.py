"""Devices found by token are remembered for pushes, pulls and ring-time lookups
(storage/device_cache.py), and a revoked, replaced or expired token still writes nothing and reads
nothing from its next request on: on SQLite and PostgreSQL, with two Storage objects on one
database standing for two server processes, and through a real server with two workers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from hangup_coach import wire
from hangup_coach.server import permissions
from hangup_coach.server.domain import records
from hangup_coach.server.storage import AuthError, Storage, tokens
from hangup_coach.server.storage.changes import START
from hangup_coach.server.storage.device_cache import SECONDS, DeviceCache
from hangup_coach.server.storage.schema import records as records_table
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stored(storage: Storage) -> int:
    with storage.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(records_table)).scalar_one()


def batch(device, n: int = 3) -> wire.Push:
    return wire.parse_push({"device_id": device.id, "records": [call(device.agent_id) for _ in range(n)]})


@pytest.fixture
def two_processes(database):
    """Two Storage objects on one database (two server processes); the first one's cache on a clock."""
    first, second = Storage(database), Storage(database)
    first.migrate()
    clock = Clock()
    first.device_rows = DeviceCache(clock=clock)
    yield first, second, clock
    first.close()
    second.close()


def test_a_device_is_remembered_for_seconds_then_asked_again(two_processes):
    first, second, clock = two_processes
    device, token = second.add_device("1001", "agent", "t1")
    assert first.known_device(token) is None                    # never looked up here
    assert first.authenticate(token) == device                  # asks the database, then remembers
    assert first.known_device(token) == device
    clock.now += SECONDS + 0.1
    assert first.known_device(token) is None                    # too old: the database again
    with pytest.raises(AuthError):
        first.known_device(None)


def test_a_token_revoked_elsewhere_writes_nothing_even_while_remembered(two_processes):
    first, second, _ = two_processes
    device, token = second.add_device("1002", "agent", "t1")
    first.authenticate(token)
    records.push(first, device, batch(device))                  # live: stored
    assert stored(second) == 3

    second.revoke_device(device.id)                              # in the other process
    assert first.known_device(token) == device                  # still remembered here, but a push...
    with pytest.raises(AuthError, match="revoked"):              # ...checks the device in its transaction
        records.push(first, device, batch(device))
    assert stored(second) == 3                                   # nothing of the refused batch
    with pytest.raises(AuthError, match="revoked"):
        first.authenticate(token)                                # and every other request asks the database


def reads(storage: Storage, device) -> list:
    """A card's pull, a ring-time lookup and a lead's team pull, as the API runs them for a device
    it remembers (the device passed as `live`); each its answer or the AuthError it raised."""
    answers = []
    for read in (lambda: storage.changes(permissions.reach(device, permissions.EVIDENCE_READ), device.team, START,
                                         100, device),
                 lambda: storage.profile(permissions.reach(device, permissions.EVIDENCE_READ), "+8613800000001",
                                         device),
                 lambda: storage.team_changes(permissions.reach(device, permissions.TEAM_READ), START, 100, device)):
        try:
            answers.append(read())
        except AuthError as exc:
            answers.append(exc)
    return answers


def test_a_token_revoked_elsewhere_reads_nothing_even_while_remembered(two_processes):
    first, second, _ = two_processes
    device, token = second.add_device("2001", "lead", "t1")
    first.authenticate(token)
    records.push(first, device, batch(device))
    pulled, looked_up, team = reads(first, first.known_device(token))          # live: answered
    assert len(team["calls"]) == 3 and pulled["cursor"] != START

    second.revoke_device(device.id)                               # in the other process
    remembered = first.known_device(token)
    assert remembered == device                                   # still remembered here, but each read...
    refused = reads(first, remembered)                            # ...asks first, on its own connection
    assert [type(e) for e in refused] == [AuthError] * 3, refused
    assert all(e.reason == "revoked" for e in refused)
    assert first.known_device(token) is None                      # forgotten: the next request asks the database


def test_an_expired_token_reads_nothing_even_while_remembered(database):
    now = [datetime.now(timezone.utc)]
    storage = Storage(database, clock=lambda: now[0])
    storage.migrate()
    try:
        device, token = storage.add_device("2006", "lead", "t1", expires_days=1)
        remembered = storage.authenticate(token)
        assert all(not isinstance(a, AuthError) for a in reads(storage, remembered))
        now[0] += timedelta(days=1, seconds=1)                    # the token's day is over
        with pytest.raises(AuthError, match="expired"):
            storage.known_device(token)                           # the remembered row is checked on each use
        refused = reads(storage, remembered)
        assert [getattr(e, "reason", e) for e in refused] == ["expired"] * 3, refused
    finally:
        storage.close()


def test_a_token_replaced_elsewhere_without_grace_writes_nothing_even_while_remembered(two_processes):
    first, second, _ = two_processes
    device, token = second.add_device("1005", "agent", "t1")
    remembered = first.authenticate(token)
    found = tokens.rotate(second, device.id, None, tokens.KEEP, timedelta(0))   # the other process, no grace
    assert found is not None
    with pytest.raises(AuthError):
        records.push(first, remembered, batch(device))
    assert stored(second) == 0
    with pytest.raises(AuthError, match="replaced"):
        first.authenticate(token)
    first.authenticate(found[1])                                 # the new token works
    records.push(first, first.known_device(found[1]), batch(device))
    assert stored(second) == 3


def test_a_token_revoked_in_this_process_is_refused_at_once(two_processes):
    first, second, _ = two_processes
    device, token = second.add_device("1003", "agent", "t1")
    first.authenticate(token)
    first.revoke_device(device.id)
    assert first.known_device(token) is None
    with pytest.raises(AuthError, match="revoked"):
        first.authenticate(token)


def test_the_cache_keeps_a_bounded_number_of_devices(monkeypatch):
    from hangup_coach.server.storage import device_cache

    monkeypatch.setattr(device_cache, "MOST", 3)
    cache = DeviceCache(clock=Clock())
    for i in range(5):
        cache.put(f"h{i}", {"id": f"d{i}"})
    assert [cache.get(f"h{i}") for i in range(5)] == [None, None, {"id": "d2"}, {"id": "d3"}, {"id": "d4"}]
    cache.drop("d3")
    assert cache.get("h3") is None and cache.get("h4") == {"id": "d4"}


def test_a_server_of_two_workers_refuses_a_revoked_tokens_push(postgres):
    database = postgres.new_database()
    agent_id, agent_token = add_device(database, "1004", "agent", "t1")
    admin_id, admin_token = add_device(database, "boss", "admin")
    with ServerProcess(database, "--workers", "2") as server:
        agent, admin = Device(server, agent_id, agent_token), Device(server, admin_id, admin_token)
        try:
            for _ in range(4):                                   # remembered by the worker(s) it reached
                assert agent.push([call("1004")]).status_code == 200
                assert agent.get("/v1/changes").status_code == 200
                assert agent.get("/v1/profiles/+8613800000001").status_code in (200, 404)
            assert admin.http.post(f"/v1/devices/{agent_id}/revoke").status_code == 200
            refused = agent.push([call("1004", call_id="00000000-0000-4000-8000-000000000001")])
            assert refused.status_code == 401, refused.text
            assert "revoked" in refused.json()["error"]
            for _ in range(4):                                   # pulls and lookups: refused at once, by each worker
                for path in ("/v1/changes", "/v1/profiles/+8613800000001"):
                    answer = agent.get(path)
                    assert answer.status_code == 401 and answer.json()["reason"] == "revoked", (path, answer.text)
            assert agent.get("/v1/me").status_code == 401       # a read asks the database: at once too
        finally:
            agent.close()
            admin.close()
    storage = Storage(database)
    try:
        assert stored(storage) == 4
    finally:
        storage.close()

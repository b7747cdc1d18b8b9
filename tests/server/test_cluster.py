"""Several server processes on one PostgreSQL, and concurrent pushes against a pull cursor."""

import json
import random
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from hangup_coach.server import migrations
from hangup_coach.server.storage import Storage
from hangup_coach.server.storage.schema import records
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call, note


@pytest.fixture
def pg_pair(postgres):
    database = postgres.new_database()
    with ServerProcess(database) as first, ServerProcess(database) as second:
        yield first, second


def test_clients_alternating_between_two_servers_see_one_database(pg_pair):
    servers = pg_pair
    db = servers[0].database
    agents = [add_device(db, f"10{i:02d}", "agent", "north") for i in range(4)]
    lead_id, lead_token = add_device(db, "2001", "lead", "north")
    admin_id, admin_token = add_device(db, "admin", "admin")
    pushed = []
    for round_ in range(6):
        for i, (device_id, token) in enumerate(agents):
            client = Device(servers[(round_ + i) % 2], device_id, token)    # alternate every request
            batch = [call(f"10{i:02d}", f"+86138{round_:04d}{i:04d}")]
            batch.append(note(batch[0]["id"]))
            if round_ % 2:            # re-send this agent's previous batch, to the other server
                previous = [p for p in pushed if p["device"] == device_id][-1]["records"]
                again = client.push(previous)
                assert again.status_code == 200 and len(again.json()["acked"]) == 2
            assert client.push(batch).status_code == 200
            pushed.append({"device": device_id, "records": batch})
            client.close()
    # A lead pulling page by page, each page from the other server, sees every row exactly once.
    seen, since, turn = [], "", 0
    while True:
        lead = Device(servers[turn % 2], lead_id, lead_token)
        page = lead.get("/v1/team/changes", since=since, limit=5).json()
        lead.close()
        seen += [c["id"] for c in page["calls"]] + [n["id"] for n in page["notes"]]
        since, turn = page["cursor"], turn + 1
        if not page["more"]:
            break
    expected = [r["id"] for p in pushed for r in p["records"]]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    # Revoked through one process, refused by the other at once: no process keeps state of its own.
    admin = Device(servers[0], admin_id, admin_token)
    assert admin.http.post(f"/v1/devices/{agents[0][0]}/revoke").status_code == 200
    refused = Device(servers[1], *agents[0])
    assert refused.get("/v1/me").status_code == 401
    admin.close(), refused.close()


def concurrent_pushes_against_a_puller(servers, writers=12, pushes=15, long_write=False):
    """Writers push batches of 1-25 new calls at once; a lead pulls with its cursor the whole time.
    `long_write`: meanwhile a transaction in this process takes its change stamp before the
    writers start and commits only after they have all finished (a long case import, say), so
    rows commit out of stamp order. Returns (ids acknowledged, ids the puller saw, in order, and
    the long write's seq and the largest seq the writers got, or None)."""
    db = servers[0].database
    lead = [Device(s, *add_device(db, "2001", "lead")) for s in servers]
    acked, seen, lock = [], [], threading.Lock()
    done, stamped, writers_done = threading.Event(), threading.Event(), threading.Event()
    errors, long_seq = [], []

    def writer(n):
        device_id, token = add_device(db, f"1{n:03d}")
        clients = [Device(s, device_id, token) for s in servers]
        rng = random.Random(n)
        try:
            for k in range(pushes):
                batch = [call(f"1{n:03d}", f"+8613{n:03d}{k:02d}{j:03d}") for j in range(rng.randint(1, 25))]
                reply = clients[k % len(clients)].push(batch)
                assert reply.status_code == 200, reply.text
                with lock:
                    acked.extend(r["id"] for r in batch)
        except Exception as exc:     # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            for c in clients:
                c.close()

    def held_open():
        storage = Storage(db)
        record = call("9999", "+8613999999999")
        try:
            with storage.write(advisory_lock=False) as conn:
                stamp = storage.stamp(conn, 1)
                conn.execute(records.insert().values(
                    kind="call", id=record["id"], version=1, seq=stamp.seqs[0], tx=stamp.tx, agent_id="9999",
                    team="default", device_id="import", received_at=record["data"]["started_at"],
                    number="+8613999999999", started_at=record["data"]["started_at"], data=json.dumps(record["data"])))
                long_seq.append(stamp.seqs[0])
                stamped.set()
                # Pushes must not queue behind this transaction: they all finish while it is open.
                if not writers_done.wait(120):
                    errors.append(AssertionError("the pushes waited for the long write's transaction"))
            with lock:
                acked.append(record["id"])
        except Exception as exc:     # noqa: BLE001 (reported below)
            errors.append(exc)
            stamped.set()
        finally:
            storage.close()

    def puller():
        since, turn = "", 0
        while True:
            finished = done.is_set()          # read before the pull: a last pull after all commits
            reply = lead[turn % len(lead)].get("/v1/team/changes", since=since, limit=50)
            if reply.status_code in (429, 503):   # the server asks a loaded puller to come back: as a card would
                time.sleep(min(float(reply.headers.get("Retry-After", "1")), 1.0))
                continue
            assert reply.status_code == 200, reply.text
            page = reply.json()
            seen.extend(c["id"] for c in page["calls"])
            since, turn = page["cursor"], turn + 1
            if finished and not page["more"]:
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    long = threading.Thread(target=held_open)
    reader = threading.Thread(target=puller)
    reader.start()
    if long_write:
        long.start()
        stamped.wait()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writers_done.set()
    if long_write:
        long.join()
    done.set()
    reader.join()
    for c in lead:
        c.close()
    assert not errors, errors
    if not long_write:
        return acked, seen, None
    storage = Storage(db)
    with storage.engine.connect() as conn:
        pushed_max = conn.execute(select(func.max(records.c.seq)).where(records.c.agent_id != "9999")).scalar()
    storage.close()
    return acked, seen, (long_seq[0], pushed_max)


def test_a_pull_cursor_skips_no_row_while_two_servers_take_concurrent_pushes_and_a_long_write(pg_pair):
    acked, seen, (long_seq, pushed_max) = concurrent_pushes_against_a_puller(pg_pair, long_write=True)
    assert len(acked) > 1000
    assert long_seq < pushed_max, "the long write did not commit after rows with larger seqs"
    assert len(seen) == len(set(seen)), "a row was delivered twice"
    assert set(seen) == set(acked), f"{len(set(acked) - set(seen))} acknowledged rows never pulled"


def test_a_pull_cursor_skips_no_row_under_concurrent_pushes_on_sqlite(tmp_path):
    with ServerProcess(str(tmp_path / "server.db")) as server:
        acked, seen, _ = concurrent_pushes_against_a_puller([server], writers=8, pushes=10)
    assert len(seen) == len(set(seen)) and set(seen) == set(acked)


def test_two_servers_starting_at_once_on_a_new_database_migrate_it_once(postgres):
    import psycopg

    database = postgres.new_database()
    servers = [ServerProcess(database), ServerProcess(database)]
    starters = [threading.Thread(target=s.start) for s in servers]
    try:
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        assert all(s.proc and s.proc.poll() is None for s in servers), [s.messages() for s in servers]
        health = [httpx.get(s.url + "/health").json() for s in servers]
        head = ",".join(migrations.heads())
        assert [h["schema"] for h in health] == [head] * 2 and {h["database"] for h in health} == {"postgresql"}
        with psycopg.connect(database) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
            fence = conn.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version")
            assert fence.fetchall() == [(1000, 1)]            # the fence for older servers, written once
            assert conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone() == (0,)
    finally:
        for s in servers:
            s.stop()


def test_a_lost_database_gets_a_503_not_a_crash(postgres):
    import psycopg

    database = postgres.new_database()
    with ServerProcess(database) as server:
        agent = Device(server, *add_device(database, "1001"))
        assert agent.push([call("1001")]).status_code == 200
        with psycopg.connect(postgres.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{database.rsplit("/", 1)[1]}" WITH (FORCE)')
        for reply in (agent.push([call("1001")]), agent.get("/v1/changes"), httpx.get(server.url + "/health")):
            assert reply.status_code == 503 and reply.headers["retry-after"].isdigit(), reply.text
        assert "unavailable" in agent.push([call("1001")]).json()["error"]
        assert server.proc.poll() is None
        assert "+86" not in server.messages() and agent.token not in server.messages()
        agent.close()

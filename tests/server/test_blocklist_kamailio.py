"""The server keeps a real Kamailio's `blocked` table in step (issue 17): every caller-ID form of
an active block with its expiry, permanent blocks that never expire, the whole list again after
Kamailio restarts; and a malformed rules file stops the server at start-up, naming the key."""

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import block_proposal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from kamailio import Kamailio, _free_port  # noqa: E402


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def expiries(proxy) -> dict[str, str]:
    """Each key in Kamailio's table → its expiry as Kamailio has it ("NEVER" or its local time)."""
    return {key: proxy.rpc("htable.get", "blocked", key)["result"]["item"]["expire"] for key in proxy.blocked_keys()}


def test_active_blocks_reach_kamailio_and_come_back_after_it_restarts(tmp_path):
    proxy = Kamailio(_free_port()).start()
    database = str(tmp_path / "server.db")
    try:
        with ServerProcess(database, "--kamailio-rpc", proxy.rpc_url) as server:
            agent, lead1, lead2, manager = (Device(server, *add_device(database, a, r)) for a, r in (
                ("1001", "agent"), ("2001", "lead"), ("2002", "lead"), ("3001", "manager")))
            for number, scope, decider in (("+8613800138000", "week", lead1), ("+861012345678", "permanent", manager)):
                proposal = block_proposal(number, agent_id="1001", scope=scope)
                assert agent.push([proposal]).status_code == 200
                assert decider.http.post(f"/v1/blocklist/{proposal['id']}/approve",
                                         json={"expected_version": 1}).status_code == 200
                assert lead2.http.post(f"/v1/blocklist/{proposal['id']}/activate",
                                       json={"expected_version": 2}).status_code == 200
            week = {"+8613800138000", "8613800138000", "13800138000"}
            permanent = {"+861012345678", "861012345678", "1012345678", "01012345678"}

            def in_step():
                """Every form there; permanent ones never expire, the week's ones in about a week (a
                timed key is written with its expiry in one call: never seen with the table's day)."""
                seen = expiries(proxy)
                if set(seen) != week | permanent or any(seen[key] != "NEVER" for key in permanent):
                    return False
                soonest = datetime.now() + timedelta(days=6)
                assert all(datetime.fromisoformat(seen[key]) > soonest for key in week), seen
                return True
            assert wait_for(in_step), expiries(proxy)

            proxy.stop()                              # Kamailio restarts with an empty table
            proxy.start()
            assert wait_for(in_step), expiries(proxy)
            for d in (agent, lead1, lead2, manager):
                d.close()
    finally:
        proxy.close()


def test_a_malformed_rules_file_stops_the_server_naming_the_key(tmp_path):
    rules = tmp_path / "blocklist.toml"
    rules.write_text('[burst]\nscope = "permanent"\n', encoding="utf-8")
    server = ServerProcess(str(tmp_path / "server.db"), "--blocklist-rules", str(rules))
    with pytest.raises(RuntimeError, match=r"server exited with 2.*burst.scope must be one of day, week, month"):
        server.start(timeout=30)


class CountingRelay:
    """An HTTP relay in front of Kamailio's JSON-RPC that counts the calls by method and key, so a
    test sees how often the servers wrote each item."""

    def __init__(self, target: str) -> None:
        import collections
        import json
        import threading
        import urllib.request
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.calls: collections.Counter = collections.Counter()
        lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                call = json.loads(body)
                with lock:
                    relay.calls[(call["method"], *call["params"][1:2])] += 1
                request = urllib.request.Request(target, data=body, headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        status, reply = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, reply = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/RPC"

    def count(self, method: str, key: str | None = None) -> int:
        return sum(n for (m, *k), n in list(self.calls.items()) if m == method and (key is None or k == [key]))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def test_of_two_server_processes_only_the_lease_holder_writes_kamailio_and_the_other_takes_over(
        postgres, monkeypatch):
    monkeypatch.setenv("HANGUP_COACH_BLOCKLIST_TICK", "0.2")
    monkeypatch.setenv("HANGUP_COACH_BLOCKLIST_LEASE", "3")
    from sqlalchemy import create_engine, text
    proxy = Kamailio(_free_port()).start()
    relay = CountingRelay(proxy.rpc_url)
    database = postgres.new_database()
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    devices = []

    def holder_pid():
        with engine.connect() as conn:
            holder = conn.execute(text("SELECT holder FROM leases WHERE name = 'blocklist'")).scalar()
        return int(holder.split(":")[1]) if holder else None
    try:
        with ServerProcess(database, "--kamailio-rpc", relay.url) as first, \
                ServerProcess(database, "--kamailio-rpc", relay.url) as second:
            agent, lead1, lead2 = (Device(server, *add_device(database, a, r)) for server, a, r in (
                (first, "1001", "agent"), (first, "2001", "lead"), (second, "2002", "lead")))
            devices += [agent, lead1, lead2]
            assert wait_for(lambda: holder_pid() in (first.proc.pid, second.proc.pid))
            blocked = []
            for number in ("+8613800138000", "+8613900139000"):
                proposal = block_proposal(number, agent_id="1001", scope="day")
                assert agent.push([proposal]).status_code == 200
                assert lead1.http.post(f"/v1/blocklist/{proposal['id']}/approve",
                                       json={"expected_version": 1}).status_code == 200
                assert lead2.http.post(f"/v1/blocklist/{proposal['id']}/activate",
                                       json={"expected_version": 2}).status_code == 200
                blocked.append(proposal["id"])
            forms = {"+8613800138000", "8613800138000", "13800138000", "+8613900139000", "8613900139000",
                     "13900139000"}
            assert wait_for(lambda: proxy.blocked_keys() == forms), proxy.blocked_keys()
            rounds = relay.count("core.uptime")
            assert wait_for(lambda: relay.count("core.uptime") >= rounds + 10)   # both workers went round 10 times
            # each day block's key written once, value and expiry in one call
            assert {key: relay.count("htable.setxs", key) for key in forms} == {key: 1 for key in forms}
            assert relay.count("htable.sets") == relay.count("htable.setex") == 0

            leader, other = (first, second) if holder_pid() == first.proc.pid else (second, first)
            leader.kill()                                       # a crash: the lease is not released
            survivor = lead1 if other is first else lead2
            revoked = survivor.http.post(f"/v1/blocklist/{blocked[0]}/revoke",
                                         json={"expected_version": 3, "note": "customer complained"})
            assert revoked.status_code == 200, revoked.text
            assert wait_for(lambda: proxy.blocked_keys() == {"+8613900139000", "8613900139000", "13900139000"},
                            timeout=20), proxy.blocked_keys()
            assert holder_pid() == other.proc.pid
    finally:
        for d in devices:
            d.close()
        engine.dispose()
        relay.close()
        proxy.close()

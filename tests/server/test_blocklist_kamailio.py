"""The server keeps a real Kamailio's `blocked` table in step (issue 17): every caller-ID form of
an active block with its expiry, permanent blocks that never expire, the whole list again after
Kamailio restarts; and a malformed rules file stops the server at start-up, naming the key."""

import sys
import time
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
            wanted = {"+8613800138000", "8613800138000", "13800138000",
                      "+861012345678", "861012345678", "1012345678", "01012345678"}
            assert wait_for(lambda: proxy.blocked_keys() == wanted), proxy.blocked_keys()
            assert proxy.rpc("htable.get", "blocked", "01012345678")["result"]["item"]["expire"] == "NEVER"
            assert proxy.rpc("htable.get", "blocked", "13800138000")["result"]["item"]["expire"] != "NEVER"

            proxy.stop()                              # Kamailio restarts with an empty table
            proxy.start()
            assert wait_for(lambda: proxy.blocked_keys() == wanted), proxy.blocked_keys()
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

"""The client against a real server behind a fault-injecting proxy: down, 5xx, garbage, truncated
and lost answers, timeouts, duplicate delivery, the client SIGKILLed mid-push, the server
killed and restarted mid-batch, a server that lost its database. Afterwards the server holds
exactly what the client wrote, record by record: nothing lost, nothing twice."""

import os
import signal

from tests.server.harness import Device, ServerProcess, add_device
from tests.support.faulty_proxy import FaultyProxy

from .agents import Agent, server_records

FAULTS = ("5xx", "garbage", "truncate", "bad_shape", "slow", "reset", "duplicate", "5xx", "duplicate")


def kill_hard(server: ServerProcess) -> None:
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(10)
    server.stop()          # closes its log files


def write_changes(agent: Agent, start: int, count: int) -> None:
    for n in range(start, start + count):
        agent.record_call(n, number=f"+861380013{n % 10000:04d}", note=f"记录 {n}" if n % 3 == 0 else None)


def test_one_scenario_of_every_fault_ends_with_exactly_what_the_client_wrote(tmp_path):
    server = ServerProcess(str(tmp_path / "server.db")).start()
    # "slow" answers after 8 s, well past the client's 4 s request timeout, and 4 s is long enough
    # for a 500-record push on a loaded machine (with 1 s, pushes timed out under load and the
    # backoff ran the scenario past its time)
    proxy = FaultyProxy(server.port, slow_seconds=8).__enter__()
    agent = Agent(tmp_path / "home", "1024")
    try:
        _, token = add_device(server.database, "1024")
        assert agent.login(proxy.url, token).returncode == 0
        write_changes(agent, 0, 750)                          # 1,000 records: two push batches

        # the server is down
        server.stop()
        down = agent.sync("--retry-for", "2", "--timeout", "1")
        assert down.returncode == 1 and "1000 pending, kept locally" in down.stderr
        server.start()
        proxy.target_port = server.port

        # 5xx, garbage, truncated and lost answers, a timeout after the server stored the batch,
        # duplicate delivery: one sync run rides them all out
        proxy.inject(*FAULTS)
        rode_out = agent.sync("--retry-for", "180", "--timeout", "4", timeout=300)   # the run's own limit first
        assert rode_out.returncode == 0, rode_out.stderr
        assert not proxy.faults and {f for _, _, f in proxy.seen} >= set(FAULTS)
        assert "0 pending" in rode_out.stdout

        # the client is SIGKILLed while its push is on the wire (the server stored it, the ack is lost)
        write_changes(agent, 700, 200)                        # 50 new versions, 150 new calls, notes
        proxy.inject("pass", "hold")                          # /v1/me, then the first push
        child = agent.popen_sync("--retry-for", "60")
        assert proxy.held.wait(60)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        proxy.release.set()
        assert agent.store.db.execute("SELECT count(*) FROM outbox WHERE version > acked_version").fetchone()[0] > 0

        # the server is killed and restarted in the middle of receiving a batch
        write_changes(agent, 900, 100)
        proxy.held.clear()
        proxy.release.clear()
        proxy.inject("pass", "half_hold")
        child = agent.popen_sync("--retry-for", "180", "--timeout", "4")
        assert proxy.held.wait(60)
        kill_hard(server)
        server.start()
        proxy.target_port = server.port
        proxy.release.set()
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        assert "0 pending" in out

        lead = Device(server, *add_device(server.database, "lead-1", "lead"))
        held = server_records(lead)
        lead.close()
        written = agent.local_records()
        assert len(written) == 1000 + 334                     # calls 0-999, a note on every third
        rewritten = 50 + sum(n % 3 == 0 for n in range(700, 750))   # calls 700-749 and their notes, twice
        assert sum(version == 2 for version, _ in written.values()) == rewritten
        assert held == written
    finally:
        agent.close()
        proxy.__exit__()
        server.stop()


def test_a_server_that_lost_its_database_gets_everything_again(tmp_path):
    server = ServerProcess(str(tmp_path / "server.db")).start()
    proxy = FaultyProxy(server.port).__enter__()               # one address across the restart
    agent = Agent(tmp_path / "home", "1024")
    try:
        _, token = add_device(server.database, "1024")
        assert agent.login(proxy.url, token).returncode == 0
        write_changes(agent, 0, 30)
        assert "pushed 40" in agent.sync().stdout
        server.stop()
        for path in tmp_path.glob("server.db*"):
            path.unlink()                                   # the centre restores nothing
        server.start()
        proxy.target_port = server.port
        refused = agent.sync()
        assert refused.returncode == 2 and "log in again" in refused.stderr
        _, token = add_device(server.database, "1024")      # the admin re-adds the device
        assert agent.login(proxy.url, token).returncode == 0
        again = agent.sync()
        assert again.returncode == 0, again.stderr
        assert "everything was sent again" in again.stdout and "pushed 40" in again.stdout
        lead = Device(server, *add_device(server.database, "lead-1", "lead"))
        assert server_records(lead) == agent.local_records()
        lead.close()
    finally:
        agent.close()
        proxy.__exit__()
        server.stop()

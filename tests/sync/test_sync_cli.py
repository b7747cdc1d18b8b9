"""login and sync --once against a real server process over HTTP."""

import stat

from tests.server.harness import add_device

from .agents import Agent, server_records


def test_login_checks_the_token_and_keeps_it_out_of_settings_and_logs(server, tmp_path):
    _, token = add_device(server.database, "1024")
    agent = Agent(tmp_path / "home", "1024")
    refused = agent.login(server.url, "not-a-token")
    assert refused.returncode == 2 and "refused" in refused.stderr
    assert not (agent.home / "config" / "sync.json").exists()
    done = agent.login(server.url, token)
    assert done.returncode == 0, done.stderr
    assert "agent 1024" in done.stdout and token not in done.stdout + done.stderr
    saved = agent.home / "config" / "sync.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600   # no keyring on this machine: a private file
    synced = agent.sync()
    assert synced.returncode == 0, synced.stderr
    for path in agent.home.rglob("*"):
        if path.is_file() and path != saved and path.suffix != ".db":
            assert token not in path.read_text(errors="replace"), path
    agent.close()


def test_sync_once_pushes_exactly_what_the_card_wrote(agents, lead):
    agent = agents("1024")
    for n in range(30):
        agent.record_call(n, number=f"+86138001380{n:02d}", note=f"第 {n} 个电话" if n % 2 else None)
    agent.record_call(3, warnings=2)                   # a second version of one call
    result = agent.sync()
    assert result.returncode == 0, result.stderr
    assert "pushed 45" in result.stdout and "0 pending" in result.stdout
    assert server_records(lead) == agent.local_records()
    again = agent.sync()                               # nothing new: nothing pushed
    assert "pushed 0" in again.stdout and "0 pending" in again.stdout


def test_a_record_the_server_refuses_is_kept_and_the_rest_goes_through(agents, lead):
    agent = agents("1024")
    agent.record_call(1)
    agent.record_call(2, agent_id="")                  # no agent: the wire schema refuses it
    result = agent.sync()
    assert result.returncode == 0, result.stderr
    # the card's own check refuses it: kept for the card's next version (test_held_for_upgrade.py)
    assert "1 kept until an upgrade" in result.stdout and "kept until an upgrade: call 1024-call-2: agent_id" \
        in result.stdout
    assert set(server_records(lead)) == {("call", "1024-call-1")}
    assert agent.store.get_call("1024-call-2") is not None


def test_sync_without_a_server_fails_clearly_and_keeps_everything(tmp_path, server):
    _, token = add_device(server.database, "1024")
    agent = Agent(tmp_path / "home", "1024")
    assert agent.login(server.url, token).returncode == 0
    agent.record_call(1, note="离线时写的")
    server.stop()
    result = agent.sync("--retry-for", "1", "--timeout", "1")
    assert result.returncode == 1
    assert "2 pending, kept locally" in result.stderr
    agent.close()


def test_another_agents_calls_in_the_file_are_kept_and_do_not_block_this_agents(agents, lead):
    agent = agents("1024")
    agent.record_call(1)
    agent.record_call(2, agent_id="2048")              # recorded before this card's login changed hands
    result = agent.sync()
    assert result.returncode == 0, result.stderr
    assert "1 refused" in result.stdout and "recorded by agent 2048" in result.stdout
    assert set(server_records(lead)) == {("call", "1024-call-1")}


def test_a_pull_over_several_pages_brings_every_profile_once(agents):
    alice, bob = agents("1024"), agents("2048")
    for n in range(1100):                               # 1,100 numbers: three pages of profiles
        alice.record_call(n, number=f"+86139{n:08d}")
    assert alice.sync().returncode == 0
    pulled = bob.sync()
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled 1100 caller profile(s) (1100 call(s) of the team)" in pulled.stdout
    db = bob.store.db
    assert db.execute("SELECT count(*), count(DISTINCT caller_number) FROM team_calls").fetchone() == (1100, 1100)
    assert db.execute("SELECT count(*) FROM caller_profiles").fetchone()[0] == 1100
    assert "pulled 0 caller profile(s)" in bob.sync().stdout   # the cursor moved past them all


def test_login_refuses_http_to_another_computer_unless_told_insecure(tmp_path):
    agent = Agent(tmp_path / "a", "1001")
    refused = agent.run("login", "--server", "http://192.0.2.10:8470", stdin="some-token\n")
    assert refused.returncode == 2 and "https://" in refused.stderr and "--insecure" in refused.stderr
    assert "not logged in" in agent.sync().stderr                                # nothing was kept
    tried = agent.run("login", "--server", "http://192.0.2.10:8470", "--insecure", "--timeout", "0.5",
                      stdin="some-token\n")
    assert tried.returncode == 1 and "cannot check the token" in tried.stderr   # went on, found nothing there


def test_it_enrols_an_agent_from_a_token_file_and_the_machine_wide_server(server, tmp_path):
    """Unattended: IT writes the server into the machine-wide settings and the agent's token into a file
    only that agent can read; `login --token-file` needs no one to paste anything."""
    _, token = add_device(server.database, "1024")
    agent = Agent(tmp_path / "home", "1024")
    machine = agent.home / "machine"
    machine.mkdir(parents=True, exist_ok=True)
    (machine / "settings.ini").write_text(f"[General]\nserver_url={server.url}\n", encoding="utf-8")
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    token_file.chmod(0o644)
    refused = agent.run("login", "--token-file", str(token_file))
    assert refused.returncode == 2 and "chmod 600" in refused.stderr and token not in refused.stderr
    assert not (agent.home / "config" / "sync.json").exists()
    token_file.chmod(0o600)
    done = agent.run("login", "--token-file", str(token_file))
    assert done.returncode == 0, done.stderr
    assert f"logged in to {server.url} as agent 1024" in done.stdout and token not in done.stdout
    assert agent.sync().returncode == 0
    missing = agent.run("login", "--token-file", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    agent.close()


def test_login_with_no_server_anywhere_says_so(tmp_path):
    agent = Agent(tmp_path / "a", "1001")
    refused = agent.run("login", stdin="some-token\n")
    assert refused.returncode == 2 and "no server given" in refused.stderr and "--server" in refused.stderr
    assert "Traceback" not in refused.stderr
    agent.close()

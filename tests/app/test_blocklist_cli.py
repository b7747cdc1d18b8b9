"""`hangup-coach blocklist` without a server (issue 17): a proposal goes to the outbox offline,
once per number; the other steps say plainly that they need the server."""

import os
import sqlite3
import subprocess
import sys

from hangup_coach.sync.credentials import Credentials

APP = [sys.executable, "-m", "hangup_coach"]


def run(home, *args):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(APP + list(args), env=env, capture_output=True, text=True, timeout=60)


def test_propose_works_offline_and_the_other_steps_say_they_need_the_server(tmp_path):
    home, db = tmp_path / "home", tmp_path / "calls.db"
    done = run(home, "blocklist", "propose", "138 0013 8000", "--scope", "week", "--reason", "abuse", "--db", str(db))
    assert done.returncode == 0 and "138****8000" in done.stdout and "13800138000" not in done.stdout
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT number, scope, reason, status FROM blocklist").fetchall() == [
            ("+8613800138000", "week", "abuse", "proposed")]
        assert conn.execute("SELECT kind FROM outbox WHERE kind = 'block_proposal'").fetchall() == [("block_proposal",)]
    finally:
        conn.close()
    again = run(home, "blocklist", "propose", "13800138000", "--scope", "day", "--reason", "abuse", "--db", str(db))
    assert again.returncode == 1 and "already proposed" in again.stderr

    bad = run(home, "blocklist", "propose", "138abc", "--scope", "day", "--reason", "abuse", "--db", str(db))
    assert bad.returncode == 2 and "not a phone number" in bad.stderr
    unknown = run(home, "blocklist", "propose", "13900139000", "--scope", "until", "--reason", "abuse")
    assert unknown.returncode == 2 and "invalid choice: 'until'" in unknown.stderr

    refused = run(home, "blocklist", "approve", "13800138000")
    assert refused.returncode == 2 and "not logged in" in refused.stderr
    config = home / "config"
    Credentials(config, use_keyring=False).save("http://127.0.0.1:9", "token-that-is-never-shown")
    down = run(home, "blocklist", "list")
    assert down.returncode == 1 and "cannot be reached" in down.stderr and "nothing was changed" in down.stderr
    assert "token-that-is-never-shown" not in down.stderr + down.stdout


def test_never_block_add_list_remove_as_a_manager_and_refused_to_a_lead(tmp_path):
    from tests.server.harness import ServerProcess, add_device
    database = str(tmp_path / "server.db")
    with ServerProcess(database) as server:
        manager, lead = tmp_path / "manager", tmp_path / "lead"
        for home, agent, role in ((manager, "3001", "manager"), (lead, "2001", "lead")):
            Credentials(home / "config", use_keyring=False).save(server.url, add_device(database, agent, role)[1])
        added = run(manager, "blocklist", "never-block", "add", "021 1234 5678", "--note", "partner bank")
        assert added.returncode == 0 and "***5678" in added.stdout and "12345678" not in added.stdout, added.stderr
        listed = run(lead, "blocklist", "never-block", "list")
        assert listed.returncode == 0 and "partner bank" in listed.stdout and "12345678" not in listed.stdout
        refused = run(lead, "blocklist", "never-block", "remove", "02112345678", "--reason", "x")
        assert refused.returncode == 2 and "403" in refused.stderr
        no_reason = run(manager, "blocklist", "never-block", "remove", "02112345678")
        assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
        removed = run(manager, "blocklist", "never-block", "remove", "02112345678", "--reason", "contract ended")
        assert removed.returncode == 0 and "off the never-block list" in removed.stdout, removed.stderr
        assert "0 number(s)" in run(lead, "blocklist", "never-block", "list").stdout
        again = run(manager, "blocklist", "never-block", "remove", "02112345678", "--reason", "twice")
        assert again.returncode == 1 and "not on the never-block list" in again.stderr

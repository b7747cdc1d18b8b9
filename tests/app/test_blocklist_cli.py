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

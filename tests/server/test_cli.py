"""`hangup-coach server` refuses clearly what it cannot use (no server process needed)."""

import os
import sqlite3
import subprocess
import sys

from hangup_coach.server.cli import mask_password
from tests.server.harness import add_device, free_port


def server(*args, home):
    return subprocess.run([sys.executable, "-m", "hangup_coach", "server", *args], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, HANGUP_COACH_HOME=str(home)))


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    url = f"postgresql://hc:s3cret@127.0.0.1:{free_port()}/nowhere"
    result = server("list-devices", "--database", url, home=tmp_path)
    assert result.returncode == 2
    assert "cannot use the database postgresql://hc:***@127.0.0.1" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_a_database_migrated_by_a_newer_server_is_refused(tmp_path):
    db = str(tmp_path / "server.db")
    add_device(db, "1001")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    result = server("list-devices", "--database", db, home=tmp_path)
    assert result.returncode == 2 and "newer than this server" in result.stderr


def test_the_default_database_lives_in_the_data_directory(tmp_path):
    assert server("add-device", "--agent", "1001", "--role", "agent", home=tmp_path).returncode == 0
    assert (tmp_path / "data" / "server.db").exists()
    assert "1001" in server("list-devices", home=tmp_path).stdout


def test_bad_server_options_are_refused(tmp_path):
    assert "--workers" in server("--workers", "0", "--database", str(tmp_path / "s.db"), home=tmp_path).stderr
    assert server("add-device", "--agent", "1", "--role", "boss", home=tmp_path).returncode == 2


def test_passwords_are_masked_in_messages():
    assert mask_password("postgresql://u:p@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_password("postgresql://u@h/d") == "postgresql://u@h/d"
    assert mask_password("/srv/server.db") == "/srv/server.db"

"""The server's files hold the whole team's calls and notes: its user's only, whatever the umask."""

import os
import stat
import subprocess
import sys

from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_its_wal_and_shm_and_folder_are_private_under_umask_022(tmp_path):
    old = os.umask(0o022)                       # the default umask: 0644 files, 0755 folders
    try:
        made_earlier = tmp_path / "old" / "server.db"
        made_earlier.parent.mkdir()
        device_id, token = add_device(str(made_earlier), "1001")      # a file an older server made, 0644
        assert mode(made_earlier) == 0o644
        fresh = tmp_path / "srv" / "data" / "server.db"               # nothing there yet
        added = subprocess.run([sys.executable, "-m", "hangup_coach", "server", "add-device", "--agent", "1002", "--role", "agent",
                                "--database", str(fresh)], capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "home")))
        assert added.returncode == 0, added.stderr
        for database in (made_earlier, fresh):
            with ServerProcess(str(database)) as server:
                if database == made_earlier:
                    agent = Device(server, device_id, token)
                    assert agent.push([call("1001")]).status_code == 200
                    agent.close()
                for name in ("", "-wal", "-shm"):
                    path = f"{database}{name}"
                    assert os.path.exists(path) and mode(path) == 0o600, (path, oct(mode(path)))
        assert mode(fresh.parent) == 0o700 and mode(fresh.parent.parent) == 0o700
    finally:
        os.umask(old)

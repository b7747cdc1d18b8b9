"""On a shared workstation another local user must read nothing: folders 0700, every file 0600 from
creation (the database and its -wal/-shm, the journal, the log, the crash log, the CTI token), and
no full phone number or token in the log. Checked as another user (nobody) would try."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

from .conftest import free_port

APP = [sys.executable, "-m", "hangup_coach"]
NUMBER = "13800000005"


def as_nobody(*cmd):
    return subprocess.run(["runuser", "-u", "nobody", "--", *cmd], capture_output=True, text=True)


def connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_files_are_the_agents_only_and_the_log_masks_numbers(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(home, 0o755)                     # the parent is open: only the app's own modes protect it
    port = free_port()
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    app = subprocess.Popen(APP + ["--softphone", f"json://127.0.0.1:{port}"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.umask(0o022))
    try:
        bridge = connect(port, time.monotonic() + 30)
        token = (home / "config" / "cti-token").read_text().strip()
        lines = [{"auth": token},
                 {"event": "ringing", "call_id": "A-1", "number": NUMBER},
                 {"event": "answered", "call_id": "A-1"},
                 {"event": "ended", "call_id": NUMBER, "ended_by": "martians"},   # logged: names the call id
                 {"event": "ended", "call_id": "A-1", "ended_by": "customer", "reason": f"BYE {NUMBER}"}]
        bridge.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in lines) + f"{NUMBER} garbage\n".encode())
        db = home / "data" / "calls.db"
        deadline = time.monotonic() + 20
        while not (db.with_name("calls.db-wal").exists() and b"A-1" in db.with_name("calls.db-wal").read_bytes()):
            assert time.monotonic() < deadline, "the call never reached the database"
            time.sleep(0.1)
        bridge.close()
        time.sleep(0.5)
        files = [db, db.with_name("calls.db-wal"), db.with_name("calls.db-shm"), home / "config" / "cti-token",
                 home / "logs" / "hangup-coach.log", home / "logs" / "hangup-coach.crash.log",
                 home / "config" / "settings.ini"]
        for folder in ("data", "config", "logs"):
            assert stat.S_IMODE((home / folder).stat().st_mode) == 0o700, folder
        for path in files:
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert all(p.exists() for p in files[:6])
        for path in files[:6]:                # what another user on the machine gets
            seen = as_nobody("cat", str(path))
            assert seen.returncode != 0 and "Permission denied" in seen.stderr, path
        assert as_nobody("ls", str(home / "data")).returncode != 0
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
    log = (home / "logs" / "hangup-coach.log").read_text(encoding="utf-8")
    assert "CTI bridge connected" in log and "ended_by 'martians'" in log    # the lines were logged
    assert NUMBER not in log and "138****0005" in log                        # masked like on screen
    assert token not in log

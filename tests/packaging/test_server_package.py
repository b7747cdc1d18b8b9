"""The centre's server as a Python package: `pip install 'hangup-coach[server]'` in a fresh venv, run as
its systemd unit would run it (packaging/server/hangup-coach-server.service).

    ./dev test -m packaging tests/packaging/test_server_package.py     (about a minute: pip)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.server.harness import free_port

from .conftest import ROOT, ok, run

pytestmark = pytest.mark.packaging
UNIT = ROOT / "packaging" / "server" / "hangup-coach-server.service"


def test_pip_install_server_extra_in_a_fresh_venv_serves_and_its_unit_is_valid(tmp_path):
    venv = tmp_path / "venv"
    ok(run([sys.executable, "-m", "venv", venv]))
    ok(run([venv / "bin" / "python", "-m", "pip", "install", "-q", f"{ROOT}[server]"], timeout=900))
    cli = venv / "bin" / "hangup-coach-cli"
    home = tmp_path / "home"
    # The server's install carries none of the desktop's libraries: no Qt, no charts, no local store.
    found = ok(run([venv / "bin" / "python", "-c", "import importlib.util as u; print([m for m in ('PySide6', "
                    "'shiboken6', 'pyqtgraph', 'numpy', 'sqlite_utils', 'keyring') if u.find_spec(m)])"]))
    assert found.stdout.strip() == "[]", found.stdout
    card = run([cli, "--smoke"], home)   # and the card, asked for there, says what to install
    assert card.returncode == 2 and "hangup-coach[card]" in card.stderr, card.stderr
    db = tmp_path / "server.db"
    added = ok(run([cli, "server", "--database", db, "add-device", "--agent", "1024", "--role", "agent"], home))
    token = added.stdout.strip().split()[-1]
    port = free_port()
    server = subprocess.Popen([cli, "server", "--database", db, "--host", "127.0.0.1", "--port", str(port)],
                              env=dict(os.environ, HANGUP_COACH_HOME=str(home)), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None and health.status_code == 200, server.stderr and server.stderr.read()
        assert httpx.get(f"http://127.0.0.1:{port}/v1/me", timeout=5).status_code == 401
        me = httpx.get(f"http://127.0.0.1:{port}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200 and me.json()["agent_id"] == "1024"
    finally:
        server.terminate()
        server.wait(timeout=30)

    # The unit, pointed at this venv, passes systemd's own check (syntax, directives, the program exists).
    unit = tmp_path / "hangup-coach-server.service"
    unit.write_text(UNIT.read_text().replace("/opt/hangup-coach-server", str(venv)))
    checked = run(["systemd-analyze", "verify", unit])
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr

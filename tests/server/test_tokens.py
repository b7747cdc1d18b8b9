"""Tokens that expire and rotate (issue 16, storage/tokens.py): an expired token is a 401 with reason
"expired" and a message that says what to do; a rotation issues a new token (CLI and admin HTTP)
while the replaced one works for the grace and is refused after it ("replaced"); tokens appear in
no log, no audit row and no listing. Real server processes on SQLite and PostgreSQL."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import text

from hangup_coach.server.storage import Storage
from tests.server.harness import add_device


def me(server, token) -> httpx.Response:
    return httpx.get(server.url + "/v1/me", headers={"Authorization": f"Bearer {token}"})


def cli(server, *args) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "hangup_coach", "server", *args, "--database", server.database],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, HANGUP_COACH_HOME=str(server.work / "cli-home")))
    assert result.returncode == 0, result.stderr
    return result


def test_an_expired_token_is_refused_with_what_to_do(server):
    made = cli(server, "add-device", "--agent", "1001", "--role", "agent", "--expires", "30")
    token = made.stdout.strip().splitlines()[-1]
    assert "token expires in 30 days" in made.stdout
    assert me(server, token).status_code == 200
    storage = Storage(server.database, clock=lambda: datetime.now(timezone.utc) - timedelta(days=2))
    try:                                          # a device added two days ago with a one-day token
        _, old = storage.add_device("1002", "agent", expires_days=1)
    finally:
        storage.close()
    refused = me(server, old)
    assert refused.status_code == 401 and refused.json()["reason"] == "expired"
    assert "expired at" in refused.json()["error"] and "log in again" in refused.json()["error"]
    assert me(server, "not-a-token").json()["reason"] == "unknown"
    bad = subprocess.run([sys.executable, "-m", "hangup_coach", "server", "add-device", "--agent", "1003", "--role",
                          "agent", "--expires", "0", "--database", server.database], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, HANGUP_COACH_HOME=str(server.work / "cli-home")))
    assert bad.returncode == 2 and "expiry" in bad.stderr


def test_a_rotated_token_replaces_the_old_one_after_a_grace(server):
    made = cli(server, "add-device", "--agent", "1001", "--role", "agent", "--expires", "30")
    old, device_id = made.stdout.strip().splitlines()[-1], made.stdout.split()[1].rstrip(":")
    rotated = cli(server, "rotate-token", device_id)
    new = rotated.stdout.strip().splitlines()[-1]
    assert new != old and "the old one works until" in rotated.stdout
    assert me(server, new).json()["device_id"] == device_id
    assert me(server, old).json()["device_id"] == device_id            # the grace: both work
    cut = cli(server, "rotate-token", device_id, "--grace-minutes", "0", "--never-expires")
    newest = cut.stdout.strip().splitlines()[-1]
    assert "expires never" in cut.stdout and me(server, newest).status_code == 200
    for replaced in (new,):
        refused = me(server, replaced)
        assert refused.status_code == 401 and refused.json()["reason"] == "replaced", refused.text
    assert me(server, old).json()["reason"] == "unknown"               # two rotations ago: forgotten

    _, admin = add_device(server.database, "root", "admin")
    _, agent = add_device(server.database, "1002", "agent")
    auth = {"Authorization": f"Bearer {admin}"}
    for body, status in (({"expires_days": -1}, 422), ({"grace_minutes": "soon"}, 422), ({"what": 1}, 422)):
        assert httpx.post(f"{server.url}/v1/devices/{device_id}/rotate", json=body, headers=auth).status_code == status
    assert httpx.post(f"{server.url}/v1/devices/{device_id}/rotate",
                      headers={"Authorization": f"Bearer {agent}"}).status_code == 403
    assert httpx.post(f"{server.url}/v1/devices/nobody/rotate", headers=auth).status_code == 404
    over_http = httpx.post(f"{server.url}/v1/devices/{device_id}/rotate", json={"expires_days": 7}, headers=auth)
    assert over_http.status_code == 200, over_http.text
    shown = over_http.json()
    expires = datetime.fromisoformat(shown["token_expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=7)
    assert me(server, shown["token"]).status_code == 200 and me(server, newest).status_code == 200   # grace 60 min
    kept = httpx.post(f"{server.url}/v1/devices/{device_id}/rotate", headers=auth).json()   # the lifetime is kept
    assert timedelta(days=6, hours=23) < datetime.fromisoformat(kept["token_expires_at"]) - datetime.now(timezone.utc)
    revoked = httpx.post(f"{server.url}/v1/devices/{device_id}/revoke", headers=auth)
    assert revoked.status_code == 200
    assert me(server, kept["token"]).json()["reason"] == "revoked"
    assert httpx.post(f"{server.url}/v1/devices/{device_id}/rotate", headers=auth).status_code == 409

    # Tokens (and their hashes) are nowhere but in the answers that issued them.
    secrets = [old, new, newest, shown["token"], kept["token"]]
    storage = Storage(server.database)
    try:
        with storage.engine.connect() as conn:
            hashes = [r[0] for r in conn.execute(text("SELECT token_hash FROM devices"))]
            audit = " ".join(str(r) for r in conn.execute(text("SELECT * FROM audit")))
    finally:
        storage.close()
    assert "device.token" in audit
    logs = "\n".join(server.access_lines()) + server.messages()
    listing = httpx.get(server.url + "/v1/devices", headers=auth).text
    for secret in secrets + hashes:
        assert secret not in audit and secret not in logs and secret not in listing


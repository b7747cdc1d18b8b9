"""A real `hangup-coach server` process on 127.0.0.1 and a free port, and devices to talk to it.

Other tests (the sync client's) import this too: `from tests.server.harness import ServerProcess`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hangup_coach.server.storage import Storage


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`hangup-coach server --database DB --port P [extra...]`; started by `start()`, ready when
    /health answers. Its access log (stdout) and messages (stderr) go to files in `work`."""

    def __init__(self, database: str, *extra: str, scheme: str = "http", verify=True) -> None:
        self.database = database
        self.extra = list(extra)
        self.scheme = scheme
        self.verify = verify
        self.work = Path(tempfile.mkdtemp(prefix="hc-server-"))
        atexit.register(shutil.rmtree, self.work, True)   # kept across stop()/start(), gone at exit
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        self.port = free_port()
        env = dict(os.environ, HANGUP_COACH_HOME=str(self.work / "home"))
        cmd = [sys.executable, "-m", "hangup_coach", "server", "--database", self.database,
               "--port", str(self.port), *self.extra]
        self.out = open(self.work / "access.log", "ab")
        self.err = open(self.work / "server.log", "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.out, stderr=self.err, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.messages()}")
            try:
                if httpx.get(self.url + "/health", timeout=2, verify=self.verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s: {self.messages()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)     # its own session: the workers stop too
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        for f in (getattr(self, "out", None), getattr(self, "err", None)):
            if f:
                f.close()

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut does it: no clean shutdown."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.stop()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def access_lines(self) -> list[str]:
        return (self.work / "access.log").read_text(encoding="utf-8").splitlines()

    def messages(self) -> str:
        return (self.work / "server.log").read_text(encoding="utf-8", errors="replace")[-3000:]


def add_device(database: str, agent: str, role: str = "agent", team: str | None = None,
               site: str | None = None, covers: tuple[str, ...] = ()) -> tuple[str, str]:
    """(device id, token) of a new device, written straight into the server's database."""
    storage = Storage(database)
    try:
        storage.migrate()
        device, token = storage.add_device(agent, role, team, site, covers=covers)
        return device.id, token
    finally:
        storage.close()


class Device:
    """An HTTP client holding one device's token."""

    def __init__(self, server: ServerProcess, device_id: str, token: str) -> None:
        self.id, self.token, self.server = device_id, token, server
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30, verify=server.verify)

    def push(self, records: list[dict], device_id: str | None = None) -> httpx.Response:
        return self.http.post("/v1/push", json={"device_id": device_id or self.id, "records": records})

    def get(self, path: str, **params) -> httpx.Response:
        return self.http.get(path, params=params)

    def pull_all(self, path: str = "/v1/changes", since: str = "", limit: int = 1000) -> tuple[list[dict], str]:
        pages = []
        while True:
            page = self.get(path, since=since, limit=limit).json()
            pages.append(page)
            since = page["cursor"]
            if not page["more"]:
                return pages, since

    def close(self) -> None:
        self.http.close()

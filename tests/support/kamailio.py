"""A throw-away Kamailio with the shipped blocklist config (packaging/kamailio), for tests.

Loopback only, free ports (SIP over UDP, JSON-RPC over HTTP), its own run directory; under root
(CI) it runs as the unprivileged user `nobody`. Installs nothing: `kamailio` is in ./dev's
DEBIAN_PACKAGES. Stopped with SIGTERM (then SIGKILL) on its own process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "packaging" / "kamailio" / "hangup-coach-blocklist.cfg"


def _free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP."""
    for _ in range(200):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


class Kamailio:
    def __init__(self, ua_port: int, block_code: int = 403) -> None:
        self.binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
        if not os.path.exists(self.binary):
            raise RuntimeError("kamailio is not installed: run ./dev setup (Debian package kamailio)")
        self.dir = Path(tempfile.mkdtemp(prefix="hc-kamailio-"))
        self.sip_port = _free_port()
        self.http_port = _free_port()
        self.ua_port = ua_port
        self.block_code = block_code
        self.log = self.dir / "kamailio.log"
        self.proc: subprocess.Popen | None = None
        self._as = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        # The config is read by `nobody`, who cannot enter a checkout under /root (0700): a copy in
        # the run directory, which is nobody's.
        self.config = self.dir / CONFIG.name
        shutil.copyfile(CONFIG, self.config)
        if self._as:
            os.chown(self.config, 65534, 65534)
            os.chown(self.dir, 65534, 65534)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/RPC"

    def start(self, timeout: float = 15.0) -> "Kamailio":
        defines = {
            "SIP_LISTEN": f"udp:127.0.0.1:{self.sip_port}", "HTTP_LISTEN": f"tcp:127.0.0.1:{self.http_port}",
            "UA_DEST": f'"127.0.0.1:{self.ua_port}"', "BLOCK_CODE": f'"{self.block_code}"',
            "RUN_DIR": f'"{self.dir}"',
        }
        args = [self.binary, "-f", str(self.config), "-DD", "-E", "-m", "32", "-M", "4", "-Y", str(self.dir),
                "-P", str(self.dir / "kamailio.pid")]
        for name, value in defines.items():
            args += ["-A", f"{name}={value}"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self._as + args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kamailio exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.rpc("core.uptime")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"kamailio did not answer JSON-RPC within {timeout} s:\n{self.log_tail()}")

    def rpc(self, method: str, *params) -> dict:
        """One JSON-RPC call; the whole reply (with `result` or `error`)."""
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}).encode()
        request = urllib.request.Request(self.rpc_url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:       # Kamailio answers errors with HTTP 500 and a JSON body
            return json.loads(exc.read())

    def blocked_keys(self) -> set[str]:
        """Every key in the `blocked` table (htable.dump groups them by hash slot)."""
        slots = self.rpc("htable.dump", "blocked").get("result", [])
        return {item["name"] for slot in slots for item in slot["slot"]}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

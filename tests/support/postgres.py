"""A throw-away PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl in a temporary
directory, listening on 127.0.0.1 and a free port, stopped and deleted afterwards.

Installs nothing (Debian's `postgresql` is in ./dev's DEBIAN_PACKAGES). initdb refuses to run
as root, so under root (CI) the cluster runs as the unprivileged user `nobody` via runuser.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: run ./dev setup (Debian package postgresql)")
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self, durable: bool = False) -> None:
        self.durable = durable      # False: fsync off, for quick tests; True: PostgreSQL's defaults
        self.bindir = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="hc-pg-"))
        self.port = 0
        self.user = "postgres"
        self._as = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._as + [str(self.bindir / args[0]), *args[1:]], capture_output=True,
                                text=True, timeout=120, cwd=self.dir)
        if result.returncode != 0:
            log = (self.dir / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}{tail}")

    def start(self) -> "PostgresCluster":
        if self._as:
            os.chown(self.dir, 65534, 65534)      # nobody
        self.port = _free_port()
        self._run("initdb", "-D", str(self.dir / "data"), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.dir}", "-c max_connections=300"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "-o", " ".join(options), "start")
        return self

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "hc_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

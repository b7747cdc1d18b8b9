"""Where the card keeps its sync server and token.

`sync.json` in the per-user config directory (mode 0600) names the server. The token goes to
the system keyring where one works (checked by reading it back), else into `sync.json`
itself, which only the user can read. Never into settings.ini, never into a log.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
SERVICE = "hangup-coach"


@dataclass(frozen=True)
class Login:
    server: str
    token: str
    where: str   # "keyring" | the file's path: where the token was found or put

    def __repr__(self) -> str:  # a token never ends up in a traceback or a log line
        return f"Login(server={self.server!r}, token=<hidden>, where={self.where!r})"


class Credentials:
    def __init__(self, config_dir: Path, use_keyring: bool = True) -> None:
        self.path = Path(config_dir) / "sync.json"
        self.use_keyring = use_keyring

    def server(self) -> str | None:
        return self._read().get("server")

    def load(self) -> Login | None:
        data = self._read()
        server = data.get("server")
        if not server:
            return None
        if data.get("token"):
            return Login(server, data["token"], str(self.path))
        token = self._keyring_get(server)
        return Login(server, token, "keyring") if token else None

    def save(self, server: str, token: str) -> Login:
        previous = self._read().get("server")
        if previous and previous != server:
            self._keyring_delete(previous)
        if self._keyring_set(server, token):
            self._write({"server": server})
            return Login(server, token, "keyring")
        self._write({"server": server, "token": token})
        return Login(server, token, str(self.path))

    def forget(self) -> None:
        server = self.server()
        if server:
            self._keyring_delete(server)
        self.path.unlink(missing_ok=True)

    # ----- the file -------------------------------------------------------------------------
    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("sync login file %s is unreadable (%s); log in again", self.path, type(exc).__name__)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        if os.name == "posix":
            os.chmod(self.path, 0o600)

    # ----- the keyring ------------------------------------------------------------------------
    def _keyring(self):
        if not self.use_keyring:
            return None
        try:
            import keyring
            from keyring.backends import fail
            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring install must not stop the card
            log.info("no system keyring (%s)", type(exc).__name__)
            return None
        return None if isinstance(backend, fail.Keyring) else keyring

    def _keyring_set(self, server: str, token: str) -> bool:
        keyring = self._keyring()
        if keyring is None:
            return False
        try:
            keyring.set_password(SERVICE, server, token)
            return keyring.get_password(SERVICE, server) == token   # some backends drop it silently
        except Exception as exc:
            log.info("the system keyring refused the token (%s); using a private file", type(exc).__name__)
            return False

    def _keyring_get(self, server: str) -> str | None:
        keyring = self._keyring()
        if keyring is None:
            return None
        try:
            return keyring.get_password(SERVICE, server)
        except Exception as exc:
            log.warning("cannot read the token from the system keyring (%s)", type(exc).__name__)
            return None

    def _keyring_delete(self, server: str) -> None:
        keyring = self._keyring()
        if keyring is None:
            return
        try:
            keyring.delete_password(SERVICE, server)
        except Exception:
            pass  # nothing stored there

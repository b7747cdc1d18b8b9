"""Where the app keeps its files: the platform's per-user directories (platformdirs).

HANGUP_COACH_HOME puts everything under one folder (tests, portable use); HANGUP_COACH_DB or
--db picks the database file alone. IT's machine-wide folder (settings.ini, policy.toml, scripts/,
read before the user's own) is /etc/hangup-coach on Linux, %PROGRAMDATA%\\Hangup Coach on Windows,
<HANGUP_COACH_HOME>/machine under HANGUP_COACH_HOME; HANGUP_COACH_MACHINE_CONFIG picks another.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from platformdirs import PlatformDirs


@dataclass(frozen=True)
class AppPaths:
    data: Path
    config: Path
    logs: Path
    machine: Path

    @classmethod
    def detect(cls) -> "AppPaths":
        home = os.environ.get("HANGUP_COACH_HOME")
        if home:
            base = Path(home)
            return cls(base / "data", base / "config", base / "logs", machine_dir(base / "machine"))
        dirs = PlatformDirs("hangup-coach", "HangupCoach")
        return cls(dirs.user_data_path, dirs.user_config_path, dirs.user_log_path, machine_dir())

    def make_private(self) -> None:
        """From here on every folder the app makes is 0700 and every file 0600 (the database, its
        -wal and -shm, the log, the crash log, the journal): call notes and numbers are personal
        data, and a shared workstation has other local users. Existing folders are tightened too."""
        if os.name != "posix":
            return
        os.umask(0o077)
        for folder in (self.data, self.config, self.logs):
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.chmod(folder, 0o700)
            except OSError:
                pass   # reported where it matters: opening the database or the log

    def database(self, override: str | None = None, demo: bool = False) -> Path:
        chosen = override or os.environ.get("HANGUP_COACH_DB")
        if chosen:
            return Path(chosen).expanduser().resolve()
        return self.data / ("demo.db" if demo else "calls.db")

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.ini"

    @property
    def machine_settings_file(self) -> Path:
        return self.machine / "settings.ini"

    @property
    def log_file(self) -> Path:
        return self.logs / "hangup-coach.log"


def machine_dir(default: Path | None = None) -> Path:
    chosen = os.environ.get("HANGUP_COACH_MACHINE_CONFIG")
    if chosen:
        return Path(chosen)
    if default is not None:
        return default
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "Hangup Coach"
    if sys.platform.startswith("linux"):
        return Path("/etc/hangup-coach")
    return PlatformDirs("hangup-coach", "HangupCoach").site_config_path

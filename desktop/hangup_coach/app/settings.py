"""The agent's settings: one typed list of options over QSettings (an INI file per user).

IT's machine-wide settings.ini (same keys) is read before the user's file: a key the user has not
set comes from it, then from the default. The user's file keeps only what differs from those.
A missing, corrupt or out-of-range value falls back to the next source with a warning in the log;
settings never stop the card from starting. No secrets live here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QPoint, QSettings

from .resources import LANGUAGES, regular_file

log = logging.getLogger(__name__)

CARD_SCALES = (1.0, 1.25, 1.5, 2.0)

# The coach's keys, action → default. They work system-wide where the platform lets the card
# grab them (X11, Windows), so the defaults are chords browsers and CRMs leave alone: F5 would
# reload a web CRM and lose its form. A centre or agent changes them in Settings.
HOTKEYS = {
    "answer": "Ctrl+Alt+A",
    "explain": "Ctrl+Alt+E",
    "warn": "Ctrl+Alt+W",
    "closure": "Ctrl+Alt+N",
    "cancel_closure": "Ctrl+Alt+B",
    "copy": "Ctrl+Alt+C",
    "hang_up": "Ctrl+Alt+H",
    "customer_hung_up": "Ctrl+Alt+U",
    "reclassify": "Ctrl+Alt+R",
    "note": "Ctrl+Alt+M",
    "done": "Ctrl+Alt+Return",
    "wrapup": "Ctrl+Alt+O",        # the card takes the keyboard for the wrap-up (digits pick)
    "manual_call": "Ctrl+Alt+P",   # manual mode: the card takes the keyboard for the number
    "close_call": "Ctrl+Alt+X",
    "policy_misfit": "Ctrl+Alt+F",   # the wrap-up's "the policy did not fit": its reasons' menu
    "block": "Ctrl+Alt+I",           # a no-value call: the IVR block proposal's menu
}


@dataclass(frozen=True)
class Option:
    key: str
    default: Any
    valid: Callable[[Any], bool]


def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= limit


def _softphone_url(value: Any) -> bool:
    """"" (manual mode) or a URL the card can use; anything else falls back to manual mode."""
    if value == "":
        return True
    from ..telephony.factory import parse_url
    try:
        parse_url(value)
    except ValueError:
        return False
    return isinstance(value, str) and len(value) <= 200


OPTIONS = {o.key: o for o in (
    # "" until the agent gives it (the first-run prompt): no call ever records a made-up number.
    Option("agent_id", "", lambda v: isinstance(v, str) and len(v) <= 20),
    Option("language", "", lambda v: v == "" or v in LANGUAGES),   # "" follows the system
    Option("softphone", "", _softphone_url),                        # "" = manual mode
    Option("card_scale", 1.0, lambda v: v in CARD_SCALES),
    Option("branch_hours", "9:00–17:00", _text(60)),
    Option("end_of_wait_bell", True, lambda v: isinstance(v, bool)),   # the bell when the wait ends
    # Start with the desktop session: the autostart entry (IT's, for all users) runs `--autostart`,
    # which does nothing for an agent who switched this off (Settings); IT may set the default.
    Option("autostart", True, lambda v: isinstance(v, bool)),
    Option("role", "agent", lambda v: v in ("agent", "lead", "manager")),   # a lead's tray also opens the dashboard;
                                                                             # a lead's and a manager's the blocklist review queue
    Option("server_url", "", _text(200)),                           # "" = no central server
    Option("recordings", "", _text(500)),   # QA: "" | template:<place with {line_call_id}> | sndfile:<folder> | server
    Option("upload_recordings", False, lambda v: isinstance(v, bool)),   # the centre's choice: sndfile mixes to the server
    *(Option(f"hotkeys/{name}", key, lambda v: _one_key(v)) for name, key in HOTKEYS.items()),
)}



class Settings:
    def __init__(self, path: Path, machine: Path | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(path), QSettings.IniFormat)
        self.fell_back: set[str] = set()   # keys whose stored value was not valid (the card may say so)
        if self._qs.status() != QSettings.NoError:
            log.warning("settings file %s is unreadable; using defaults", path)
        self._machine = QSettings(str(machine), QSettings.IniFormat) if machine else None

    def get(self, key: str) -> Any:
        return self._lookup(key, (self._qs, self._machine))

    def _lookup(self, key: str, sources) -> Any:
        option = OPTIONS[key]
        for qs in sources:
            if qs is None or not qs.contains(key):
                continue
            raw = qs.value(key)
            value = _coerce(raw, option.default)
            if option.valid(value):
                return value
            log.warning("setting %s=%r is not valid (%s); ignored", key, raw, qs.fileName())
            self.fell_back.add(key)
        return option.default

    def set(self, key: str, value: Any) -> None:
        if not OPTIONS[key].valid(value):
            raise ValueError(f"{key}: {value!r} is not a valid value")
        if value == self._lookup(key, (self._machine,)):   # what the agent would get anyway
            self._qs.remove(key)   # so that a later change by IT reaches this agent too
        else:
            self._qs.setValue(key, value)
        self._qs.sync()

    def hotkeys(self) -> dict[str, str]:
        """Action → key in Qt's portable text form ("Ctrl+Alt+E"); "" = no key."""
        return {name: self.get(f"hotkeys/{name}") for name in HOTKEYS}

    def card_position(self) -> QPoint | None:
        raw = self._qs.value("card/pos")
        try:
            x, y = (int(part) for part in str(raw).split(","))
        except (TypeError, ValueError):
            return None
        return QPoint(x, y)

    def save_card_position(self, pos: QPoint) -> None:
        self._qs.setValue("card/pos", f"{pos.x()},{pos.y()}")
        self._qs.sync()


def _one_key(value: Any) -> bool:
    """"" or one key chord Qt can read back the same ("Ctrl+Alt+E", "F13")."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    if value == "":
        return True
    from PySide6.QtGui import QKeySequence
    seq = QKeySequence(value)
    return seq.count() == 1 and seq.toString() == value


def _coerce(raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):   # the INI file holds "true" / "false"
            text = str(raw).strip().lower()
            return {"true": True, "false": False}.get(text) if not isinstance(raw, bool) else raw
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, str):
            return "" if raw is None else str(raw)
    except (TypeError, ValueError):
        return None
    return raw


def cti_token(config_dir: Path) -> str:
    """The secret a CTI bridge sends first on json:// (docs/softphones.md). Not a setting: it lives
    in its own file, `cti-token` beside settings.ini, readable by the agent only (0600), made on
    first use, and never logged. The bridge's installer copies it from there."""
    path = config_dir / "cti-token"
    regular_file(path)   # a folder or a broken link there: NotAFile (a ValueError) names it
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 16:
            return token
    except (OSError, UnicodeDecodeError):
        pass
    import secrets

    token = secrets.token_urlsafe(32)
    config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token + "\n")
    if os.name == "posix":
        os.chmod(path, 0o600)
    log.info("made a new CTI token in %s", path)
    return token

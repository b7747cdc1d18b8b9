"""The agent's settings: one typed list of options over QSettings (an INI file per user).

A missing, corrupt or out-of-range value falls back to its default with a warning in the log;
settings never stop the card from starting. No secrets live here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QPoint, QSettings

from .resources import LANGUAGES

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
}


@dataclass(frozen=True)
class Option:
    key: str
    default: Any
    valid: Callable[[Any], bool]


def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= limit


OPTIONS = {o.key: o for o in (
    Option("agent_id", "1024", lambda v: isinstance(v, str) and 0 < len(v) <= 20),
    Option("language", "", lambda v: v == "" or v in LANGUAGES),   # "" follows the system
    Option("softphone", "", _text(200)),                            # "" = manual mode
    Option("card_scale", 1.0, lambda v: v in CARD_SCALES),
    Option("branch_hours", "9:00–17:00", _text(60)),
    Option("hotline", "", _text(30)),
    *(Option(f"hotkeys/{name}", key, lambda v: _one_key(v)) for name, key in HOTKEYS.items()),
)}



class Settings:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(path), QSettings.IniFormat)
        if self._qs.status() != QSettings.NoError:
            log.warning("settings file %s is unreadable; using defaults", path)

    def get(self, key: str) -> Any:
        option = OPTIONS[key]
        raw = self._qs.value(key, option.default)
        value = _coerce(raw, option.default)
        if not option.valid(value):
            log.warning("setting %s=%r is not valid; using %r", key, raw, option.default)
            return option.default
        return value

    def set(self, key: str, value: Any) -> None:
        if not OPTIONS[key].valid(value):
            raise ValueError(f"{key}: {value!r} is not a valid value")
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
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, str):
            return "" if raw is None else str(raw)
    except (TypeError, ValueError):
        return None
    return raw

"""System-wide coach keys: pressed while the agent types in the CRM, taken before the CRM sees
them. One small backend per platform; the card only sees `pressed(action)` and the conflicts.

- X11 (and the card under Xwayland): a key grab on the root window (hotkeys_x11.py).
- Windows: RegisterHotKey + a native event filter for WM_HOTKEY (hotkeys_windows.py).
- Wayland: the XDG desktop portal's GlobalShortcuts, where the desktop offers it (hotkeys_portal.py).
- Elsewhere (macOS, a Wayland desktop without the portal): none; the card says its keys work
  only while it is active (they are still its application shortcuts).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence

log = logging.getLogger(__name__)


class SystemHotkeys(QObject):
    pressed = Signal(str)   # the action whose key was pressed, in any window
    # Backends that learn later (the Wayland portal asks the desktop, the user confirms):
    conflicts_found = Signal(dict)   # action → key the desktop did not bind
    unavailable = Signal(str)        # the backend cannot work here after all (why, for the log)
    descriptions: dict[str, str] = {}   # action → what it does, for a desktop that lists the keys

    def bind(self, keys: dict[str, str]) -> dict[str, str]:
        """Grab `keys` (action → "Ctrl+Alt+E"), dropping earlier grabs. Returns the actions whose
        key could not be grabbed (another program holds it, or the keyboard has no such key)."""
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def after_key_release(self, then) -> None:
        """Call `then` once the key just pressed has been let go. On X11 a grabbed key keeps the
        whole keyboard until then, so a menu shown at once could not take it; elsewhere: now."""
        then()


def key_parts(text: str) -> tuple[set[str], str] | None:
    """"Ctrl+Alt+E" → ({"ctrl", "alt"}, "E"): the modifiers and the key, in Qt's portable names."""
    seq = QKeySequence(text)
    if seq.count() != 1:
        return None
    parts = seq.toString().split("+")
    key = parts.pop() or "+"          # "Ctrl++" ends in an empty part: the key is "+"
    mods = {p.lower() for p in parts if p}
    return mods, key


# Qt's key names that differ from X keysym names (X11 grabs and the portal's triggers use keysyms).
KEYSYM_NAMES = {
    "Return": "Return", "Enter": "KP_Enter", "Space": "space", "Esc": "Escape", "Ins": "Insert",
    "Del": "Delete", "PgUp": "Prior", "PgDown": "Next", "ScrollLock": "Scroll_Lock",
    "Backspace": "BackSpace", "Print": "Print", "Pause": "Pause", "Left": "Left", "Right": "Right",
    "Up": "Up", "Down": "Down", "Home": "Home", "End": "End", "Tab": "Tab",
}


def keysym_name(key: str) -> str:
    """Qt's name of a key ("E", "F13", "Return") → its X keysym name ("e", "F13", "Return")."""
    return KEYSYM_NAMES.get(key, key.lower() if len(key) == 1 else key)


def system_hotkeys(platform_name: str, window_id: int = 0) -> SystemHotkeys | None:
    """The backend for Qt's platform plugin, or None when keys can only work in the card."""
    try:
        if platform_name == "xcb":
            from .hotkeys_x11 import X11Hotkeys
            from .x11 import shared_display
            display = shared_display()
            return X11Hotkeys(display) if display is not None else None
        if platform_name == "wayland":
            from .hotkeys_portal import PortalHotkeys
            return PortalHotkeys.on_session_bus()
        if platform_name == "windows":
            from .hotkeys_windows import WindowsHotkeys
            return WindowsHotkeys(window_id)
    except Exception as exc:   # a missing binding must not stop the card: it says so instead
        log.warning("no system-wide keys: %s", exc)
    return None

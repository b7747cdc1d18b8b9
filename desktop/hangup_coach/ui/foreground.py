"""Which window has the keyboard, and handing it back: the small native part of focus on click.

The card takes the keyboard only when the agent clicks one of its typing fields; when they are
done it gives the keyboard back to the window that had it (the CRM). Qt has no call for
"activate another program's window", so this asks the platform:
- X11: `_NET_ACTIVE_WINDOW` on the root window (read it; send it as a pager would, so the window
  manager's focus-stealing prevention lets it through).
- Windows: `GetForegroundWindow` / `SetForegroundWindow` (allowed: the card is in the foreground
  when it gives the keyboard back). Not run by the test suite here (no Windows machine).
- Elsewhere (Wayland, macOS): None. Clicking back into the CRM still gives it the keyboard.
"""

from __future__ import annotations

import logging
import sys
from typing import Protocol

log = logging.getLogger(__name__)


class Foreground(Protocol):
    def current(self) -> int | None: ...
    def activate(self, window: int) -> None: ...


class X11Foreground:
    def __init__(self, display) -> None:
        self._display = display
        self._root = display.screen().root
        self._active = display.intern_atom("_NET_ACTIVE_WINDOW")

    def current(self) -> int | None:
        from Xlib import X
        prop = self._root.get_full_property(self._active, X.AnyPropertyType)
        window = int(prop.value[0]) if prop is not None and len(prop.value) else 0
        return window or None

    def activate(self, window: int) -> None:
        from Xlib import X
        from Xlib.protocol import event
        message = event.ClientMessage(window=self._display.create_resource_object("window", window),
                                      client_type=self._active, data=(32, [2, X.CurrentTime, 0, 0, 0]))
        self._root.send_event(message, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)
        self._display.flush()


class WindowsForeground:  # pragma: no cover - Windows only
    def __init__(self) -> None:
        import ctypes
        self._user32 = ctypes.windll.user32

    def current(self) -> int | None:
        return int(self._user32.GetForegroundWindow()) or None

    def activate(self, window: int) -> None:
        self._user32.SetForegroundWindow(window)


def platform_foreground(platform_name: str) -> Foreground | None:
    """The helper for Qt's platform plugin (`QGuiApplication.platformName()`), or None."""
    try:
        if platform_name == "xcb":
            from .x11 import shared_display
            display = shared_display()
            return X11Foreground(display) if display is not None else None
        if platform_name == "windows" and sys.platform == "win32":
            return WindowsForeground()
    except Exception as exc:  # no binding, no display: the card still works, clicks give focus back
        log.warning("cannot hand the keyboard back to other windows: %s", exc)
    return None

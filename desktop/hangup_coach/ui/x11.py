"""One python-xlib connection to the X server for the card's native needs (focus, key grabs).

Qt keeps its own xcb connection to itself; this second one is cheap and local. Its events are
read on the GUI thread when its socket has data (QSocketNotifier), never by blocking.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)
_display = None


def shared_display():
    """The connection, opened on first use; None when there is no X server or no binding."""
    global _display
    if _display is None:
        try:
            from Xlib import display
            _display = display.Display(os.environ.get("DISPLAY"))
        except Exception as exc:
            log.warning("no X connection for hotkeys and focus: %s", exc)
            return None
    return _display

"""The card's rounded corners: outside them the screen shows what is behind the card.

A frameless window is a rectangle: the stylesheet's rounded edge left square corners of the
window's own background. Where a compositor blends windows (always on Windows, macOS and Wayland;
on X11 when a compositing manager owns the _NET_WM_CM_S<screen> selection) the window is
translucent and the card's stylesheet background (the rounded card, smooth corners) is painted
here: Qt leaves it out on a translucent window. Without one a
translucent pixel shows black, so the window is cut to the rounded shape instead (the X Shape
extension: the corners are a little stepped).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QPainterPath, QRegion
from PySide6.QtWidgets import QWidget

from .style import CARD_RADIUS

log = logging.getLogger(__name__)


def compositing(platform: str) -> bool:
    """Whether windows are blended by a compositor (translucent pixels show what is behind)."""
    if platform != "xcb":
        return platform not in ("offscreen", "minimal")
    from .x11 import shared_display
    display = shared_display()
    if display is None:
        return False
    try:
        selection = display.intern_atom(f"_NET_WM_CM_S{display.get_default_screen()}")
        return display.get_selection_owner(selection) != 0
    except Exception as exc:   # a broken connection: the mask works everywhere
        log.warning("cannot ask the X server for a compositor: %s", exc)
        return False


def rounded_region(width: int, height: int, radius: int) -> QRegion:
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, width, height), radius, radius)
    return QRegion(path.toFillPolygon().toPolygon())


class CardShape(QObject):
    """Makes `window` translucent outside its rounded edge, or cuts it to it; `scale()` gives the
    card's scale (the radius grows with it). Created before the window is shown."""

    def __init__(self, window: QWidget, scale, platform: str | None = None) -> None:
        super().__init__(window)
        self.window, self.scale = window, scale
        self.translucent = compositing(platform or QGuiApplication.platformName())
        if self.translucent:
            window.setAttribute(Qt.WA_TranslucentBackground, True)
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is not self.window:
            return False
        if self.translucent and event.type() == QEvent.Type.Paint:
            # Imported here: QStyle's enums take ~6 ms to make, before the first frame of a card that
            # is cut to its shape (no compositor) and never paints this way.
            from PySide6.QtGui import QPainter
            from PySide6.QtWidgets import QStyle, QStyleOption

            option = QStyleOption()
            option.initFrom(self.window)
            painter = QPainter(self.window)
            self.window.style().drawPrimitive(QStyle.PE_Widget, option, painter, self.window)
            painter.end()
        elif not self.translucent and event.type() == QEvent.Type.Resize:
            size = event.size()
            self.window.setMask(rounded_region(size.width(), size.height(), round(CARD_RADIUS * self.scale())))
        return False

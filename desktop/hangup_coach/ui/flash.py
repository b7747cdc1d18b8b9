"""The end of the 2-second wait, hard to miss for an agent looking at the CRM: the card's edge
flashes (style.py FLASH_EDGE, thick) three times and, if the agent wants it, the system bell
rings once (QApplication.beep: the desktop's own bell, no Qt Multimedia in the agent's package)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

FLASHES = 3
FLASH_MS = 220       # on, then off, three times: about 1.3 s in all


class EdgeFlash(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.bell = True           # Settings: "Sound at the end of the wait"
        self._left = 0
        self._timer = QTimer(self, interval=FLASH_MS)
        self._timer.timeout.connect(self._toggle)

    @property
    def on(self) -> bool:
        return bool(self._window.property("flash"))

    def start(self) -> None:
        if self.bell:
            QApplication.beep()
        self._left = FLASHES * 2
        self._set(True)
        self._timer.start()

    def _toggle(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._timer.stop()
            self._set(False)
        else:
            self._set(not self.on)

    def _set(self, on: bool) -> None:
        self._window.setProperty("flash", on)
        self._window.style().unpolish(self._window)
        self._window.style().polish(self._window)
        self._window.update()

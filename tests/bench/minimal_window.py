"""Baseline for start-up and memory: a minimal PySide6 window started the same way as the app.

Its time is taken when its first frame is painted, as the app's is (the card's shell, ui/card_shell.py)."""

import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel


class Window(QLabel):
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if not hasattr(self, "painted"):
            self.painted = True
            print(f"card shown at {time.time():.6f}", flush=True)   # the same line the app's --smoke prints
            QTimer.singleShot(0, app.quit)


app = QApplication(sys.argv[:1])
label = Window("baseline")
label.show()
sys.exit(app.exec())

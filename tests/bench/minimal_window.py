"""Baseline for start-up and memory: a minimal PySide6 window started the same way as the app."""

import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])
label = QLabel("baseline")
label.show()
def shown() -> None:
    print(f"card shown at {time.time():.6f}", flush=True)   # the same line the app's --smoke prints
    app.quit()


QTimer.singleShot(0, shown)
sys.exit(app.exec())

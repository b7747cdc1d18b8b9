"""Baseline for start-up and memory: a minimal PySide6 window started the same way as the app."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])
label = QLabel("baseline")
label.show()
QTimer.singleShot(0, app.quit)
sys.exit(app.exec())

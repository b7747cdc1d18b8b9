"""A stand-in CRM: an ordinary window with a text field that reports what it receives.

Prints one line per event to stdout: `ready <window id>`, `text <what the field holds>`,
`key <Qt key code> <modifiers>` for every key the field receives (a coach key that leaked shows
here even when it types nothing), `active` / `inactive` when the window gains or loses the keyboard.
"""

import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget


class Reporter(QObject):
    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.ActivationChange:
            print("active" if obj.isActiveWindow() else "inactive", flush=True)
        elif event.type() == QEvent.KeyPress:
            print(f"key {event.key()} {event.modifiers().value}", flush=True)
        return False


app = QApplication(sys.argv[:1])
window = QWidget()
window.setWindowTitle("CRM stand-in")
field = QLineEdit()
QVBoxLayout(window).addWidget(field)
field.textChanged.connect(lambda text: print(f"text {text}", flush=True))
reporter = Reporter()
window.installEventFilter(reporter)
field.installEventFilter(reporter)
window.setGeometry(40, 60, 700, 500)
window.show()
window.activateWindow()
field.setFocus()
print(f"ready {int(window.winId())}", flush=True)
app.exec()

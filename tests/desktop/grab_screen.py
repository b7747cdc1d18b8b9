"""Save the whole X screen as a PNG (for screenshots to look at).

    grab_screen.py OUT.png                 now
    grab_screen.py OUT.png PROBE KEY       as soon as the app probe's JSON (app_probe.py) has KEY true:
                                           started before a short-lived moment (a flash), it catches it
"""

import json
import sys
import time

from PySide6.QtGui import QGuiApplication

app = QGuiApplication(sys.argv[:1])
if len(sys.argv) == 4:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if json.loads(open(sys.argv[2], encoding="utf-8").read()).get(sys.argv[3]):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
sys.exit(0 if QGuiApplication.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)

"""Child process for test_graceful_end: the real `hangup-coach` entry point (CardApp, as an agent
starts it) and, beside it in its event loop, a typist: once the store is open it starts a manual
call and types into the note field at a steady rate, printing how many characters are in the field
after each one ("ready" first)."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hangup_coach.__main__ import main
from hangup_coach.ui.card import CoachCard
from tests.faults._typist import CPS, TEXT

typed = 0


def type_one() -> None:
    global typed
    cards = [w for w in QApplication.topLevelWidgets() if isinstance(w, CoachCard)]
    if not cards or not cards[0].controller._store_open:   # noqa: SLF001 (a test's probe)
        return
    card = cards[0]
    if card.controller.current is None:
        card.controller.start_manual_call("13800138000")
        print("ready", flush=True)
        return
    card.note.moveCursor(card.note.textCursor().MoveOperation.End)
    card.note.insertPlainText(TEXT[typed])
    typed += 1
    print(typed, flush=True)


app = QApplication(sys.argv[:1])
timer = QTimer(interval=round(1000 / CPS))
timer.timeout.connect(type_one)
timer.start()
sys.exit(main(sys.argv[1:]))

"""Child process for test_kill9: the app's own card, controller and store worker, wired as app/main.py
wires them, on a real database file. Once the store is ready it starts a manual call and types into
the note field at a steady rate, printing how many characters are in the field after each one."""

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock, keep_gui_thread_responsive
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.ui.card import CoachCard

TEXT = "客户反映宽带断线，已报修，工单号20261123。" * 200
CPS = 40


def main(db_path: str) -> None:
    keep_gui_thread_responsive()
    app = QApplication([])
    controller = Controller(None, load_policy(), load_scripts("en"), SystemClock(), QtScheduler(app),
                            Fill("1024"), None, app)
    card = CoachCard(controller, load_texts("en"))
    card.show()
    typed = 0

    def type_one() -> None:
        nonlocal typed
        card.note.moveCursor(card.note.textCursor().MoveOperation.End)
        card.note.insertPlainText(TEXT[typed])
        typed += 1
        print(typed, flush=True)

    timer = QTimer(app, interval=round(1000 / CPS))
    timer.timeout.connect(type_one)

    def ready() -> None:
        if controller.current is None:
            controller.start_manual_call("13800138000")
        print("ready", flush=True)
        timer.start()

    controller.store_ready.connect(ready)
    controller.attach_worker(StoreWorker(Path(db_path)))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])

"""Child process for test_graceful_end: the real `hangup-coach` entry point (CardApp, as an agent
starts it) and, beside it in its event loop, a typist: once the store is open it starts a manual
call and types into the note field at a steady rate, printing how many characters are in the field
after each one ("ready" first).

With HANGUP_COACH_TEST_SESSION_END=N it ends the desktop session after N characters as Qt does
when the session manager asks (QGuiApplicationPrivate::commitData: commitDataRequest, the path of
Windows' WM_QUERYENDSESSION; the xcb plugin of the PySide6 wheels has no XSMP client, so nothing
else reaches it here), prints "committed N" and types no more: the test then kills it with -9, as
a session that does not wait for the card would."""

import ctypes
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hangup_coach.__main__ import main
from hangup_coach.ui.card import CoachCard
from tests.faults._typist import CPS, TEXT

typed = 0
SESSION_END = int(os.environ.get("HANGUP_COACH_TEST_SESSION_END", "0"))


def end_the_session(app: QApplication) -> None:
    import shiboken6
    from PySide6 import QtGui

    gui = ctypes.CDLL(QtGui.__file__.replace("QtGui.abi3.so", "Qt/lib/libQt6Gui.so.6"))
    commit_data = gui._ZN22QGuiApplicationPrivate10commitDataEv   # void QGuiApplicationPrivate::commitData()
    commit_data.argtypes = [ctypes.c_void_p]
    application = shiboken6.getCppPointer(app)[0]
    private = ctypes.c_void_p.from_address(application + ctypes.sizeof(ctypes.c_void_p)).value   # QObject::d_ptr
    commit_data(private)


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
    if typed == SESSION_END:
        timer.stop()
        end_the_session(QApplication.instance())
        print(f"committed {typed}", flush=True)


app = QApplication(sys.argv[:1])
timer = QTimer(interval=round(1000 / CPS))
timer.timeout.connect(type_one)
timer.start()
sys.exit(main(sys.argv[1:]))

"""Guards the pinned Qt binding: PySide6 6.12.0 on CPython 3.11 dropped a reference to True on
every signal emit, and after a few hundred calls' worth of signals the app aborted."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)

    def slot(self, value) -> None:
        self.last = value


def test_signal_emits_keep_reference_counts_of_true_and_none():
    emitter = _Emitter()
    emitter.fired.connect(emitter.slot)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(500):
        emitter.fired.emit(i)
    assert emitter.last == 499
    assert sys.getrefcount(True) - before_true > -50
    assert sys.getrefcount(None) - before_none > -50

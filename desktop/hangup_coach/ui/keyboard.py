"""Focus on click: the card takes the keyboard when the agent clicks a typing field, and gives it
back on Esc, at the end of a wrap-up or a manual start, or when the agent clicks another window.

The card is created with `WindowDoesNotAcceptFocus`, so ringing, prompts and the 2-second wait
never take the keyboard from the CRM. Only a click (or the note key) lifts that flag, on the
native window directly: QWidget.setWindowFlag would hide and re-show the card on X11 and lose
the click. Qt delivers a click on a QPlainTextEdit to its viewport(), so that is what is watched.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from .foreground import Foreground


HANDOVER_WAIT_MS = 1000


class KeyboardHandover(QObject):
    def __init__(self, window: QWidget, foreground: Foreground | None = None) -> None:
        super().__init__(window)
        self._window, self._foreground = window, foreground
        self._watched: dict[QObject, QWidget] = {}
        self._previous: int | None = None
        self._accepting = False
        self._after_handover: list[Callable[[], None]] = []
        # a window manager that never says the card lost the keyboard must not keep a menu back
        self._handover_guard = QTimer(self, singleShot=True, interval=HANDOVER_WAIT_MS,
                                      timeout=self._handed_over)

    def watch(self, field: QWidget) -> None:
        """A field the agent types in: a click gives it the keyboard, Esc gives it back."""
        targets = [field, field.viewport()] if isinstance(field, QAbstractScrollArea) else [field]
        for target in targets:
            self._watched[target] = field
            target.installEventFilter(self)

    @property
    def has_keyboard(self) -> bool:
        """True while the card may hold the keyboard (after a click, until it is given back)."""
        return self._accepting

    def take(self, field: QWidget) -> None:
        if not self._accepting:
            current = self._foreground.current() if self._foreground else None
            if current is not None and current != int(self._window.winId()):   # not the card itself:
                self._previous = current                # keep the window it was taken from last
            self._set_accepting(True)
        self._window.activateWindow()
        field.setFocus(Qt.MouseFocusReason)

    def give_back(self) -> None:
        if not self._accepting:
            return
        was_active = self._window.isActiveWindow()
        self._set_accepting(False)
        focused = self._window.focusWidget()
        if focused is not None:
            focused.clearFocus()
        previous = self._previous
        if was_active and previous and self._foreground is not None:
            self._foreground.activate(previous)

    def window_deactivated(self) -> None:
        """The agent clicked another window, or the window manager took the keyboard back as
        asked: the other window has it now, nothing to hand back."""
        if self._accepting and not self._window.isActiveWindow():
            self._set_accepting(False)
        self._handed_over()

    def after_handover(self, then: Callable[[], None]) -> None:
        """Run `then` (show a popup menu) once a give_back has reached the window manager. Until its
        word arrives Qt still counts the card active, and the deactivation that follows closes a
        popup opened in between: a coach key pressed just after Enter in the card flashed its menu."""
        if self._accepting or not self._window.isActiveWindow():
            then()
            return
        self._after_handover.append(then)
        self._handover_guard.start()

    def _handed_over(self) -> None:
        self._handover_guard.stop()
        waiting, self._after_handover = self._after_handover, []
        for then in waiting:
            QTimer.singleShot(0, then)   # not inside the activation change that ended the wait

    def _set_accepting(self, accept: bool) -> None:
        self._accepting = accept
        handle = self._window.windowHandle()
        if handle is not None:
            handle.setFlag(Qt.WindowDoesNotAcceptFocus, not accept)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        field = self._watched.get(obj)
        if field is not None and field.isEnabled():
            if event.type() == QEvent.MouseButtonPress:
                self.take(field)
            elif event.type() == QEvent.KeyPress and event.key() == Qt.Key_Escape:
                self.give_back()
                return True
        return False

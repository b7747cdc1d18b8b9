"""Focus on click: the card takes the keyboard when the agent clicks a typing field, and gives it
back on Esc, at the end of a wrap-up or a manual start, or when the agent clicks another window.

The card is created with `WindowDoesNotAcceptFocus`, so ringing, prompts and the 2-second wait
never take the keyboard from the CRM. Only a click (or the note key) lifts that flag, on the
native window directly: QWidget.setWindowFlag would hide and re-show the card on X11 and lose
the click. Qt delivers a click on a QPlainTextEdit to its viewport(), so that is what is watched.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from .foreground import Foreground


class KeyboardHandover(QObject):
    def __init__(self, window: QWidget, foreground: Foreground | None = None) -> None:
        super().__init__(window)
        self._window, self._foreground = window, foreground
        self._watched: dict[QObject, QWidget] = {}
        self._previous: int | None = None
        self._accepting = False

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
        """The agent clicked another window: it has the keyboard now, nothing to hand back."""
        if self._accepting and not self._window.isActiveWindow():
            self._set_accepting(False)

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

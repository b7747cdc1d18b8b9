"""Windows: RegisterHotKey on the card's window, WM_HOTKEY seen by a native event filter.

Kept small and written to the Win32 documentation; it cannot run in this project's Linux test
suite, so it is not tested here. RegisterHotKey fails when another program registered the
chord: that action is reported as a conflict.
"""

from __future__ import annotations

import ctypes
import ctypes.wintypes
import logging

from PySide6.QtCore import QAbstractNativeEventFilter, QCoreApplication

from .hotkeys import SystemHotkeys, key_parts

log = logging.getLogger(__name__)

WM_HOTKEY = 0x0312
MOD_NOREPEAT = 0x4000
MODIFIERS = {"alt": 0x1, "ctrl": 0x2, "shift": 0x4, "meta": 0x8}
VKEYS = {"Return": 0x0D, "Enter": 0x0D, "Space": 0x20, "Pause": 0x13, "ScrollLock": 0x91, "Ins": 0x2D,
         "Del": 0x2E, "Home": 0x24, "End": 0x23, "PgUp": 0x21, "PgDown": 0x22, "Tab": 0x09, "Esc": 0x1B,
         **{f"F{n}": 0x6F + n for n in range(1, 25)}}


def windows_chord(text: str) -> tuple[int, int] | None:
    parts = key_parts(text)
    if parts is None or not parts[0] <= MODIFIERS.keys():
        return None
    mods, key = parts
    vk = VKEYS.get(key) or (ord(key.upper()) if len(key) == 1 and key.isalnum() else 0)
    if not vk:
        return None
    mask = MOD_NOREPEAT
    for mod in mods:
        mask |= MODIFIERS[mod]
    return vk, mask


class _Filter(QAbstractNativeEventFilter):
    def __init__(self, owner: "WindowsHotkeys") -> None:
        super().__init__()
        self._owner = owner

    def nativeEventFilter(self, event_type, message):  # noqa: N802 (Qt name)
        if bytes(event_type) == b"windows_generic_MSG":
            msg = ctypes.wintypes.MSG.from_address(int(message))
            if msg.message == WM_HOTKEY and msg.wParam in self._owner.actions:
                self._owner.pressed.emit(self._owner.actions[msg.wParam])
                return True, 0
        return False, 0


class WindowsHotkeys(SystemHotkeys):
    def __init__(self, window_id: int, parent=None) -> None:
        super().__init__(parent)
        self._hwnd = window_id
        self._user32 = ctypes.windll.user32
        self.actions: dict[int, str] = {}
        self._filter = _Filter(self)
        QCoreApplication.instance().installNativeEventFilter(self._filter)

    def bind(self, keys: dict[str, str]) -> dict[str, str]:
        self.release()
        conflicts = {}
        for number, (action, text) in enumerate(keys.items(), 1):
            chord = windows_chord(text) if text else None
            if text and (chord is None or not self._user32.RegisterHotKey(self._hwnd, number, chord[1], chord[0])):
                conflicts[action] = text
            elif chord is not None:
                self.actions[number] = action
        return conflicts

    def release(self) -> None:
        for number in self.actions:
            self._user32.UnregisterHotKey(self._hwnd, number)
        self.actions.clear()

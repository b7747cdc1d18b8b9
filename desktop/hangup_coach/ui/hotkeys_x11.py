"""X11 key grabs (XGrabKey on the root window) through python-xlib.

A grab consumes the key: the CRM never sees it. Each chord is grabbed four times, with and
without CapsLock and NumLock, or it would stop working while NumLock is on. A BadAccess error
means another client holds the chord: that action is reported as a conflict.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSocketNotifier, QTimer
from Xlib import X, XK, error

from .hotkeys import SystemHotkeys, key_parts, keysym_name

log = logging.getLogger(__name__)

MODIFIERS = {"ctrl": X.ControlMask, "alt": X.Mod1Mask, "shift": X.ShiftMask, "meta": X.Mod4Mask}
def x11_chord(text: str) -> tuple[int, int] | None:
    """"Ctrl+Alt+E" → (keysym, modifier mask), or None if X cannot name it."""
    parts = key_parts(text)
    if parts is None or not parts[0] <= MODIFIERS.keys():
        return None
    mods, key = parts
    keysym = XK.string_to_keysym(keysym_name(key))
    if not keysym:
        return None
    mask = 0
    for mod in mods:
        mask |= MODIFIERS[mod]
    return keysym, mask


class X11Hotkeys(SystemHotkeys):
    def __init__(self, display, parent=None) -> None:
        super().__init__(parent)
        self._display = display
        self._root = display.screen().root
        self._grabs: dict[tuple[int, int], str] = {}     # (keycode, modifier mask) → action
        self._last_release: tuple[int, int] | None = None
        self._held: int | None = None          # the grabbed key that is down (its grab is active)
        self._after_release: list = []
        self._release_guard = QTimer(self, singleShot=True, interval=3000, timeout=self._released)
        self._locks = self._lock_masks()
        self._notifier = QSocketNotifier(display.fileno(), QSocketNotifier.Read, self)
        self._notifier.activated.connect(self._read)

    def _lock_masks(self) -> list[int]:
        numlock = 0
        code = self._display.keysym_to_keycode(XK.string_to_keysym("Num_Lock"))
        for index, codes in enumerate(self._display.get_modifier_mapping()):
            if code and code in codes:
                numlock = 1 << index
        return sorted({0, X.LockMask, numlock, numlock | X.LockMask})

    def bind(self, keys: dict[str, str]) -> dict[str, str]:
        self.release()
        conflicts = {}
        for action, text in keys.items():
            if text and not self._grab(action, text):
                conflicts[action] = text
        QTimer.singleShot(0, self._read)   # events the sync() above already read off the socket
        return conflicts

    def _grab(self, action: str, text: str) -> bool:
        chord = x11_chord(text)
        keycode = self._display.keysym_to_keycode(chord[0]) if chord else 0
        if not keycode:
            log.warning("key %s: no such key on this keyboard", text)
            return False
        mask = chord[1]
        if (keycode, mask) in self._grabs:
            return False    # two actions on one key: the first keeps it
        catch = error.CatchError(error.BadAccess)
        for lock in self._locks:
            self._root.grab_key(keycode, mask | lock, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catch)
        self._display.sync()
        if catch.get_error() is not None:
            log.warning("key %s for %s is held by another program", text, action)
            self._ungrab(keycode, mask)
            return False
        self._grabs[(keycode, mask)] = action
        return True

    def _ungrab(self, keycode: int, mask: int) -> None:
        for lock in self._locks:
            self._root.ungrab_key(keycode, mask | lock, onerror=error.CatchError(error.BadValue))
        self._display.sync()

    def release(self) -> None:
        for keycode, mask in list(self._grabs):
            self._ungrab(keycode, mask)
        self._grabs.clear()

    def _read(self) -> None:
        lock_bits = 0
        for lock in self._locks:
            lock_bits |= lock
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type == X.KeyRelease:
                self._last_release = (event.detail, event.time)
                if event.detail == self._held:
                    self._released()
            elif event.type == X.KeyPress:
                if self._last_release == (event.detail, event.time):
                    continue     # auto-repeat of a held key: one press counts once
                action = self._grabs.get((event.detail, event.state & ~lock_bits & 0xFF))
                if action:
                    self._held = event.detail
                    self.pressed.emit(action)

    def after_key_release(self, then) -> None:
        """The X server keeps the keyboard grabbed for this client until the pressed key is let
        go (a passive grab turns active on the press): a popup menu shown before that cannot
        take the keyboard, and its arrows and Return would reach the CRM."""
        if self._held is None:
            then()
            return
        self._after_release.append(then)
        self._release_guard.start()      # a release lost to another grab must not keep the menu back

    def _released(self) -> None:
        self._held = None
        self._release_guard.stop()
        waiting, self._after_release = self._after_release, []
        for then in waiting:
            then()

"""The card's keys: application shortcuts while the card is active, grabbed system-wide where the
platform lets it (hotkeys.py), shown in every button's tooltip; a note on the card says where they
work or which key another program holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from ..app.settings import HOTKEYS
from .hotkeys import SystemHotkeys

if TYPE_CHECKING:
    from .card import CoachCard

# action name → UI text key; the keys themselves are settings (app/settings.py HOTKEYS).
ACTION_TEXTS = {
    "answer": "answer", "explain": "explain", "warn": "warn", "closure": "closure",
    "cancel_closure": "cancel_closure", "copy": "copy", "hang_up": "hang_up",
    "customer_hung_up": "customer_hung_up", "reclassify": "reclassify", "note": "note_placeholder",
    "done": "done", "wrapup": "key_wrapup", "manual_call": "key_manual_call", "close_call": "close_call",
    "policy_misfit": "policy_did_not_fit", "block": "propose_block",
}
# action name → (default key, UI text key), as before the keys became settings.
SHORTCUTS = {name: (HOTKEYS[name], text) for name, text in ACTION_TEXTS.items()}


def native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.NativeText)


class CardKeys(QObject):
    def __init__(self, card: "CoachCard", note: QLabel, relayout: Callable[[], None]) -> None:
        super().__init__(card)
        self._card, self._note, self._relayout, self.t = card, note, relayout, card.t
        self.keys: dict[str, str] = dict(HOTKEYS)
        self.hotkeys: SystemHotkeys | None = None
        self._system_wide_asked = False
        self._actions: dict[str, QAction] = {}
        for name in ACTION_TEXTS:
            action = QAction(card)
            action.setShortcutContext(Qt.ApplicationShortcut)
            action.triggered.connect(lambda _=False, n=name: card.press(n))
            card.addAction(action)
            self._actions[name] = action
        self.set_keys(self.keys)

    def set_keys(self, keys: dict[str, str]) -> None:
        self.keys = {name: keys.get(name, "") for name in ACTION_TEXTS}
        for name, action in self._actions.items():
            action.setShortcut(QKeySequence(self.keys[name]))
        widgets = {**self._card.buttons, "note": self._card.note, "manual_call": self._card.number_input}
        for name, widget in widgets.items():
            widget.setToolTip(self.tooltip(name))
            widget.setAccessibleDescription(self.tooltip(name))   # what it does and its key, for a reader
        for combo in (self._card.ended_by, self._card.disposition):
            combo.setToolTip(self.tooltip("wrapup"))
            combo.setAccessibleDescription(f"{self.tooltip('wrapup')}. {self._card.wrapup_keys.text()}")
        if self._system_wide_asked:
            self.use_hotkeys(self.hotkeys)

    def tooltip(self, name: str) -> str:
        text, key = self.t[ACTION_TEXTS[name]], native(self.keys[name])
        return f"{text} ({key})" if key else text

    def use_hotkeys(self, hotkeys: SystemHotkeys | None) -> None:
        if hotkeys is not self.hotkeys:
            if self.hotkeys is not None:
                self.hotkeys.release()
            if hotkeys is not None:
                hotkeys.pressed.connect(self._card.press)
                hotkeys.conflicts_found.connect(self._taken)
                hotkeys.unavailable.connect(self._unavailable)
                hotkeys.descriptions = {name: self.t[text] for name, text in ACTION_TEXTS.items()}
        self.hotkeys, self._system_wide_asked = hotkeys, True
        if hotkeys is None:
            self._say(self.t["keys_card_only"], problem=False)
            return
        self._say("", problem=False)
        self._taken(hotkeys.bind(self.keys))

    def _taken(self, conflicts: dict[str, str]) -> None:
        if conflicts:
            keys = "、".join(native(key) for key in conflicts.values())
            self._say(self.t["keys_conflict"].format(keys=keys), problem=True)

    def _unavailable(self, why: str) -> None:
        self.hotkeys = None
        self._say(self.t["keys_card_only"], problem=False)

    def _say(self, text: str, problem: bool) -> None:
        self._note.setText(text)
        self._note.setProperty("problem", problem)
        self._note.style().unpolish(self._note)
        self._note.style().polish(self._note)
        self._note.setVisible(bool(text))
        self._relayout()

"""Runs the real `hangup-coach` entry point and, beside it, reports where the card's widgets are
on screen (so a test can click them with xdotool) and who has the keyboard.

Every 100 ms it rewrites the JSON file named by HANGUP_COACH_PROBE. It changes nothing in the app.
"""

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLineEdit, QMenu, QToolTip

from hangup_coach.__main__ import main
from hangup_coach.ui.card import CoachCard

OUT = Path(os.environ["HANGUP_COACH_PROBE"])


def rect(widget):
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def call_state(session):
    if session is None:
        return None
    rec = session.record
    return {"line_id": rec.line_call_id, "phase": session.phase.value, "explanations": rec.explanations,
            "warnings": rec.warnings, "sub_reason": rec.sub_reason, "ended_by": rec.ended_by,
            "hangup_allowed": session.hangup_allowed}


def dialog_state(dialog):
    frame = dialog.frameGeometry()
    save = dialog.findChild(QDialogButtonBox)
    button = save.button(QDialogButtonBox.Save) if save else None
    return {"title": dialog.windowTitle(), "window_id": int(dialog.winId()),
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "save": rect(button) if button is not None and button.isVisible() else None,
            "field": next((rect(f) for f in dialog.findChildren(QLineEdit) if f.isVisible()), None)}


def menu_state():
    """The menu open on top (a submenu over its parent): its items and the one the keys are on."""
    menu = QApplication.activePopupWidget()
    if not isinstance(menu, QMenu):
        return None
    return {"items": [a.text() for a in menu.actions() if not a.isSeparator()],
            "active": menu.activeAction().text() if menu.activeAction() else ""}


def report():
    cards = [w for w in QApplication.topLevelWidgets() if isinstance(w, CoachCard)]
    if not cards:
        return
    card = cards[0]
    widgets = {"note": card.note, "number_input": card.number_input, "menu_button": card.menu_button, **card.buttons}
    state = {
        "card": rect(card), "card_visible": card.isVisible(), "active": card.isActiveWindow(),
        "window_id": int(card.winId()), "focus": (card.focusWidget().accessibleName() if card.focusWidget() else None),
        "status": card.status.text(), "keys_note": card.keys_note.text(),
        "tooltip": QToolTip.text() if QToolTip.isVisible() else "",
        "reclass_menu": {"visible": card.reclass_menu.isVisible(),
                         "active": card.reclass_menu.activeAction().text() if card.reclass_menu.activeAction() else "",
                         "items": [a.text() for a in card.reclass_menu.actions()]},
        "badge": card.badge.text() if card.badge.isVisible() else "",
        "call": call_state(card.controller.current),
        "wrapup_keys": card.wrapup_keys.isVisible(),
        "flash": bool(card.property("flash")),
        "open_menu": menu_state(),
        "app_focus": (f"{type(QApplication.focusWidget()).__name__} {QApplication.focusWidget().accessibleName()!r}"
                      if QApplication.focusWidget() else None),
        "shape": "translucent" if card.shape.translucent else "mask",
        "dialogs": [dialog_state(w) for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()],
        "screen": [*card.screen().availableGeometry().getRect()],
        "widgets": {name: {"rect": rect(w), "visible": w.isVisible(), "tooltip": w.toolTip()}
                    for name, w in widgets.items()},
    }
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(OUT)


app = QApplication(sys.argv[:1])
timer = QTimer(interval=100)
timer.timeout.connect(report)
timer.start()
sys.exit(main(sys.argv[1:]))

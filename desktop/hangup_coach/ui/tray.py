"""Tray icon (show card, settings, quit). Optional: stock GNOME has no tray, the card still works."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget


def make_tray(icon: QIcon, texts: dict[str, str], show_card, open_settings, quit_app,
              parent: QWidget | None = None, extra=()) -> QSystemTrayIcon | None:
    """`extra`: more (label, callback) entries after Settings (My day, Dashboard)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(icon, parent)
    tray.setToolTip(texts["app_name"])
    menu = QMenu()
    menu.addAction(texts["show_card"], show_card)
    menu.addAction(texts["settings"], open_settings)
    for label, callback in extra:
        menu.addAction(label, callback)
    menu.addSeparator()
    menu.addAction(texts["quit"], quit_app)
    tray.setContextMenu(menu)
    tray._menu = menu  # keep a reference: the tray does not own its menu
    tray.activated.connect(lambda reason: show_card() if reason == QSystemTrayIcon.Trigger else None)
    tray.show()
    return tray

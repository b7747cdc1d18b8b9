"""Qt's own words (Save, Cancel, the text-field menu) in the agent's language: qtbase_*.qm,
shipped with PySide6. The app's words come from resources/translations/*.toml."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def install_qt_translations(app: QApplication, language: str) -> QTranslator | None:
    """Qt's words in `language`; English needs none (Qt's own words are English), so no warning."""
    if language == "en":
        return None
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.TranslationsPath)
    if not translator.load(f"qtbase_{language}", folder):
        log.warning("no Qt translation qtbase_%s in %s: Qt's buttons stay in English", language, folder)
        return None
    app.installTranslator(translator)
    return translator

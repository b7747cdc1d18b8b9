"""The settings dialog: agent number, language, softphone, card size, script placeholders."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QVBoxLayout,
)

from ..app.settings import CARD_SCALES, Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, texts: dict[str, str], validate_softphone=None, parent=None,
                 sync_server: str | None = None) -> None:
        super().__init__(parent)
        self.settings, self.t, self._validate_softphone = settings, texts, validate_softphone
        self.setWindowTitle(texts["settings_title"])
        form = QFormLayout()
        self.agent_id = QLineEdit(settings.get("agent_id"), maxLength=20)
        self.language = QComboBox()
        for label, value in ((texts["language_system"], ""), ("简体中文", "zh_CN"), ("English", "en")):
            self.language.addItem(label, value)
        self.language.setCurrentIndex(self.language.findData(settings.get("language")))
        self.softphone = QLineEdit(settings.get("softphone"), placeholderText="baresip://127.0.0.1:4444")
        self.softphone.setToolTip(texts["softphone_hint"])
        self.scale = QComboBox()
        for value in CARD_SCALES:
            self.scale.addItem(f"{round(value * 100)} %", value)
        self.scale.setCurrentIndex(self.scale.findData(settings.get("card_scale")))
        self.branch_hours = QLineEdit(settings.get("branch_hours"), maxLength=60)
        self.hotline = QLineEdit(settings.get("hotline"), maxLength=30)
        for key, widget in (("agent_id", self.agent_id), ("language", self.language), ("softphone", self.softphone),
                            ("card_scale", self.scale), ("branch_hours", self.branch_hours),
                            ("hotline", self.hotline)):
            form.addRow(texts[key], widget)
        # read-only: set with `hangup-coach login --server URL`, which also checks the token
        self.sync_server = QLabel(sync_server or texts["sync_not_connected"], wordWrap=True)
        self.sync_server.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(texts["sync_server"], self.sync_server)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(texts["restart_needed"], wordWrap=True))
        layout.addWidget(buttons)

    def accept(self) -> None:
        softphone = self.softphone.text().strip()
        try:
            if softphone and self._validate_softphone:
                self._validate_softphone(softphone)
            values = {
                "agent_id": self.agent_id.text().strip(), "language": self.language.currentData(),
                "softphone": softphone, "card_scale": self.scale.currentData(),
                "branch_hours": self.branch_hours.text().strip(), "hotline": self.hotline.text().strip(),
            }
            for key, value in values.items():
                self.settings.set(key, value)
        except ValueError as exc:
            QMessageBox.warning(self, self.t["settings_title"], str(exc))
            return
        super().accept()

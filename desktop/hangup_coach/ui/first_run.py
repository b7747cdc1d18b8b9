"""First run: the card asks for the agent's number before the first call. The closing lines read
it to customers and every call records it, so nothing stands in for it: a call that comes first
is kept and takes the number once it is given (Controller.set_agent_id).

A small window beside the card, on top as the card is; it takes the keyboard (the agent has just
started the card), Return gives the number. Logged in to a server, the number is the device's
(`hangup-coach login` saves it) and this window never shows."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget


class AgentNumberPrompt(QDialog):
    def __init__(self, texts: dict[str, str], given: Callable[[str], None], beside: QWidget | None = None) -> None:
        super().__init__(None, Qt.Dialog | Qt.WindowStaysOnTopHint)
        self.setWindowTitle(texts["first_run_title"])
        self._given = given
        layout = QVBoxLayout(self)
        intro = QLabel(texts["first_run_intro"], wordWrap=True)
        layout.addWidget(intro)
        label = QLabel(texts["agent_id"])
        self.number = QLineEdit(maxLength=20)
        self.number.setAccessibleName(texts["agent_id"])
        self.number.setAccessibleDescription(texts["first_run_intro"])
        label.setBuddy(self.number)
        layout.addWidget(label)
        layout.addWidget(self.number)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        self.ok = buttons.button(QDialogButtonBox.Ok)
        self.ok.setEnabled(False)
        self.number.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setMinimumWidth(320)
        if beside is not None:   # to the card's left: the card never covers it
            self.adjustSize()
            self.move(beside.frameGeometry().topLeft() - QPoint(self.width() + 16, 0))

    def accept(self) -> None:
        number = self.number.text().strip()
        if not number:
            return
        self._given(number)
        super().accept()

"""What the agent sees when something unexpected breaks: a non-modal box; the note is saved first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from .card import CoachCard


class ErrorReporter:
    def __init__(self, card: CoachCard, texts: dict[str, str], log_file: Path) -> None:
        self.card, self.t, self.log_file = card, texts, log_file
        self.box: QMessageBox | None = None

    def report(self, summary: str) -> None:
        self.card.flush_note()   # whatever broke, the typed note is on disk first
        text = self.t["error_body"].format(log=self.log_file) + f"\n\n{summary}"
        if self.box is None:
            self.box = QMessageBox(QMessageBox.Critical, self.t["error_title"], text, parent=self.card)
            self.box.setModal(False)  # never block the card in the middle of a call
        self.box.setText(text)
        self.box.show()

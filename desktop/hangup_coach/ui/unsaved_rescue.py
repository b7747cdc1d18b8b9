"""When the card's words about unsaved work must lead somewhere.

- `UnsavedRescue`: shown under the card's status while the unsaved notes are in this window only
  (neither the database nor the journal can be written): copy them to the clipboard, or save them
  to a file elsewhere (another disk, a USB stick).
- `tell_journal_damage`: the last run's journal was damaged; the agent is told what was brought
  back and what was not, and where the file is kept.
"""

from __future__ import annotations

import os
from datetime import datetime

from PySide6.QtWidgets import (QApplication, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QVBoxLayout, QWidget)

from ..core.phone import mask


def notes_as_text(notes: list[tuple[str, str, str]]) -> str:
    """One block per note: the call's masked number and id, then the text as typed."""
    blocks = [f"[{mask(number) if number else '—'} · {call_id}]\n{text}" for call_id, number, text in notes]
    return "\n\n".join(blocks) + "\n"


class UnsavedRescue(QWidget):
    def __init__(self, controller, texts: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller, self.t = controller, texts
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.copy_button = QPushButton(texts["rescue_copy"])
        self.save_button = QPushButton(texts["rescue_save"])
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.copy_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.result = QLabel("", wordWrap=True)
        layout.addWidget(self.result)
        self.hide()

    def text(self) -> str:
        return notes_as_text(self.controller.unsaved_notes())

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text())
        self.result.setText(self.t["rescue_copied"])

    def save(self) -> None:
        suggested = os.path.join(os.path.expanduser("~"),
                                 f"hangup-coach-unsaved-{datetime.now():%Y%m%d-%H%M%S}.txt")
        path, _ = QFileDialog.getSaveFileName(self, self.t["rescue_save"], suggested, "Text (*.txt)")
        if not path:
            return
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # call notes: personal data
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.text())
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            self.result.setText(self.t["rescue_failed"].format(path=path, error=exc.strerror or exc))
            return
        self.result.setText(self.t["rescue_saved"].format(path=path))


def tell_journal_damage(parent: QWidget, texts: dict[str, str], damage, calls: int, notes: int) -> QMessageBox:
    """A non-modal message (the card keeps working behind it); returned so the caller keeps it."""
    lost = (texts["journal_lost_some"].format(count=damage.unreadable) if damage.unreadable
            else texts["journal_lost_all"])
    box = QMessageBox(QMessageBox.Warning, texts["journal_damaged_title"],
                      texts["journal_damaged"].format(path=damage.kept_as, calls=calls, notes=notes, lost=lost),
                      QMessageBox.Ok, parent)
    box.setModal(False)
    box.show()
    return box

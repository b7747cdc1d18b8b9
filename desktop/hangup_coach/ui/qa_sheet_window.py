"""The meeting sheet in the app: the printable page (app/qa_sheet_export.sheet_html) shown as it
prints, with buttons that write it as PDF and as CSV. Opened by `hangup-coach qa sheet ID --show`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ..app.qa_sheet_export import sheet_pdf


class SheetWindow(QWidget):
    def __init__(self, texts: dict[str, str], page_html: str, csv_text: str, name: str, parent=None) -> None:
        super().__init__(parent)
        self.texts, self.page_html, self.csv_text, self.name = texts, page_html, csv_text, name
        self.setWindowTitle(texts["sheet_window_title"])
        self.resize(920, 900)
        self.page = QTextBrowser(openLinks=False)
        self.page.setHtml(page_html)
        self.pdf_button = QPushButton(texts["sheet_save_pdf"])
        self.pdf_button.clicked.connect(lambda: self._ask("pdf"))
        self.csv_button = QPushButton(texts["sheet_save_csv"])
        self.csv_button.clicked.connect(lambda: self._ask("csv"))
        self.status = QLabel(wordWrap=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page, 1)
        layout.addLayout(buttons)

    def save(self, path: Path) -> bool:
        """Write the sheet to `path` (PDF or CSV by its suffix); says what happened."""
        try:
            if path.suffix.lower() == ".pdf":
                sheet_pdf(self.page_html, path, self.texts["sheet_title"])
            else:
                path.write_text(self.csv_text, encoding="utf-8-sig", newline="")
        except OSError as exc:
            self.status.setText(self.texts["sheet_save_failed"].format(error=exc.strerror or exc))
            return False
        self.status.setText(self.texts["sheet_saved"].format(path=path))
        return True

    def _ask(self, kind: str) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, self.texts[f"sheet_save_{kind}"], f"{self.name}.{kind}",
                                                f"{kind.upper()} (*.{kind})")
        if chosen:
            self.save(Path(chosen))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

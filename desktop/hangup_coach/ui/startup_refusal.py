"""The dialog shown when the call database cannot work: what is wrong, and what the agent can do.

The card never runs on a database it cannot save to. For a damaged file the agent may keep it
aside (renamed, never deleted, for the team lead or IT) and start a new one; otherwise Quit, and
the app exits with code 2 for scripts.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..store.db import StoreError

# A file that is damaged, or that cannot be opened for a reason nobody named: keeping it aside (renamed,
# never deleted) and starting a new one is always a way on. Not for a folder, a lock, a full disk or a
# read-only file: a new file there would not work either.
KEEP_ASIDE_KINDS = ("corrupt", "io")


def refusal_text(error: StoreError, texts: dict[str, str]) -> str:
    what = texts.get(f"refuse_{error.kind}", texts["refuse_io"]).format(path=error.path or "")
    return f"{what}\n\n{texts['refuse_detail']} {error}"


class StartupRefusal(QMessageBox):
    def __init__(self, error: StoreError, texts: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Critical, texts["refuse_title"], refusal_text(error, texts), parent=parent)
        self.keep_aside = None
        if error.kind in KEEP_ASIDE_KINDS:
            self.keep_aside = self.addButton(texts["refuse_keep_aside"], QMessageBox.AcceptRole)
        self.quit = self.addButton(texts["quit"], QMessageBox.RejectRole)
        self.setDefaultButton(self.quit)

    def wants_new_database(self) -> bool:
        """Show the dialog; True if the agent chose to keep the damaged file aside and start anew."""
        self.exec()
        return self.keep_aside is not None and self.clickedButton() is self.keep_aside

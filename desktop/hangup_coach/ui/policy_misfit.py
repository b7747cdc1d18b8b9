"""The wrap-up's "the policy did not fit this call": one click opens the preset reasons, the next
picks one (or takes it back). The counts and examples feed the QA meeting sheet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QToolButton

from ..core.qa_sheet import MISFIT_REASONS


class PolicyMisfitButton(QToolButton):
    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent, popupMode=QToolButton.InstantPopup, focusPolicy=Qt.NoFocus)
        self.t = texts
        self.reason: str | None = None
        menu = QMenu(self)
        for key in MISFIT_REASONS:
            menu.addAction(texts[f"misfit_{key}"], lambda key=key: self.choose(key))
        menu.addSeparator()
        menu.addAction(texts["misfit_none"], lambda: self.choose(None))
        self.setMenu(menu)
        self.choose(None)

    def choose(self, reason: str | None) -> None:
        self.reason = reason
        text = self.t["policy_did_not_fit"] if reason is None else f"✓ {self.t['misfit_' + reason]}"
        self.setText(text)
        self.setAccessibleName(self.t["policy_did_not_fit"] + ("" if reason is None else f": {text[2:]}"))

"""The card's "Propose IVR block" button: on a no-value call, one menu picks scope and reason.

The proposal goes through the outbox like every record (offline first); a lead decides it on the
server. Once proposed for a call the button says so and stays disabled for that call.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QToolButton

from ..app.controller import Controller
from ..core.callers import SUB_REASONS, CallerClass, SubReason

SCOPES = ("day", "week", "month", "permanent")


class BlockProposalButton(QToolButton):
    def __init__(self, controller: Controller, texts: dict[str, str]) -> None:
        super().__init__(popupMode=QToolButton.InstantPopup, focusPolicy=Qt.NoFocus,
                         objectName="blockProposal")
        self.controller, self.t = controller, texts
        self._call_id: str | None = None
        self._proposed: dict[str, str] = {}      # call id → scope proposed
        self.setText(texts["propose_block"])
        self.setAccessibleName(texts["propose_block"])
        self.setMenu(self._build_menu())
        controller.block_proposed.connect(self._on_proposed)

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        scripts = self.controller.scripts
        for scope in SCOPES:
            scope_menu = menu.addMenu(self.t[f"block_scope_{scope}"])
            for sub in SUB_REASONS[CallerClass.NO_VALUE]:
                action = scope_menu.addAction(scripts.label("sub_reasons", sub.value))
                action.setObjectName(f"block_{scope}_{sub.value}")
                action.triggered.connect(lambda _=False, s=scope, r=sub: self.propose(s, r))
        return menu

    def propose(self, scope: str, reason: SubReason) -> None:
        self.controller.propose_block(scope, reason.value)   # a second click finds the first proposal

    def show_for(self, call_id: str | None, visible: bool) -> None:
        self._call_id = call_id
        self.setVisible(visible)
        proposed = self._proposed.get(call_id or "")
        self.setEnabled(proposed is None)
        text = (self.t["block_proposed"].format(scope=self.t[f"block_scope_{proposed}"]) if proposed
                else self.t["propose_block"])
        self.setText(text)
        self.setAccessibleName(text)

    def _on_proposed(self, call_id: str, scope: str) -> None:
        self._proposed[call_id] = scope
        if call_id == self._call_id:
            self.show_for(call_id, not self.isHidden())

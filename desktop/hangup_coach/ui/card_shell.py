"""The card's first frame: its title row, status line and idle text, drawn with PySide6's widgets
and the stylesheet alone while the rest of the app (policy, scripts, store, softphone, the whole
card) loads. The card (ui/card.py) builds its header with the same functions here, so the real card
shown over the shell a moment later has the same top, at the same place: it fills in below.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEventLoop, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .card_shape import CardShape
from .style import stylesheet

CARD_WIDTH = 360
# Always on top, no frame, never takes the keyboard from the CRM when it appears.
CARD_FLAGS = Qt.Tool | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint | Qt.WindowDoesNotAcceptFocus
# The status line's words for each state of the line (resources/translations).
STATUS_TEXT_KEYS = {"online": "softphone_online", "offline": "softphone_offline",
                    "connecting": "softphone_connecting", "manual": "manual_mode",
                    "not_answering": "softphone_not_answering"}
PROBLEM_STATES = ("offline", "not_answering")


def card_window(widget: QWidget, texts: dict[str, str]) -> QVBoxLayout:
    """Make `widget` a card window (flags, title); its root layout (scale_card_window sizes both)."""
    widget.setWindowFlags(CARD_FLAGS)
    widget.setAttribute(Qt.WA_ShowWithoutActivating, True)
    widget.setObjectName("card")
    widget.setAttribute(Qt.WA_StyledBackground, True)
    widget.setWindowTitle(texts["app_name"])
    return QVBoxLayout(widget)


def scale_card_window(widget: QWidget, root: QVBoxLayout, scale: float) -> None:
    widget.setStyleSheet(stylesheet(scale))
    widget.setFixedWidth(round(CARD_WIDTH * scale))
    margin = round(10 * scale)
    root.setContentsMargins(margin, margin, margin, margin)
    root.setSpacing(round(6 * scale))


class CardHeader(QVBoxLayout):
    """Title, sync state, ☰ and – on one row; the status line below it."""

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.setSpacing(0)
        top = QHBoxLayout()
        self.title = QLabel(texts["app_name"], objectName="title")
        self.hide_button = QToolButton(text="–", toolTip=texts["hide_card"], focusPolicy=Qt.NoFocus)
        self.hide_button.setAccessibleName(texts["hide_card"])
        self.menu_button = QToolButton(text="☰", popupMode=QToolButton.InstantPopup, focusPolicy=Qt.NoFocus,
                                       objectName="menuButton")
        self.menu_button.setAccessibleName(texts["menu"])
        self.menu_button.setToolTip(texts["menu"])
        self.sync_label = QLabel("", objectName="status")   # sync with the server (app/sync_setup.py)
        top.addWidget(self.title, 1)
        top.addWidget(self.sync_label)
        top.addWidget(self.menu_button)
        top.addWidget(self.hide_button)
        self.addLayout(top)
        self.status = QLabel("", objectName="status", wordWrap=True)   # its own row: it can be long
        self.addWidget(self.status)
        # This machine's clock is minutes off the server's (app/sync_setup.py); hidden while it is right.
        self.clock_label = QLabel("", objectName="status", wordWrap=True, visible=False)
        self.clock_label.setProperty("problem", True)
        self.addWidget(self.clock_label)


def show_line_state(status: QLabel, texts: dict[str, str], state: str, detail: str = "") -> None:
    status.setText(texts[STATUS_TEXT_KEYS[state]] if state in STATUS_TEXT_KEYS else state)
    status.setToolTip(detail)
    status.setProperty("problem", state in PROBLEM_STATES)   # its colour: style.py
    if status.testAttribute(Qt.WA_WState_Polished):   # shown before: its stylesheet is applied again. Not
        status.style().unpolish(status)               # before the first frame: style() makes QStyle's
        status.style().polish(status)                 # Python enums (~6 ms), and polishing comes anyway


def default_position(width: int) -> QPoint:
    """Where a card goes that the agent never placed: top right of the main screen."""
    area = QGuiApplication.primaryScreen().availableGeometry()
    return QPoint(area.right() - width - 24, area.top() + 80)


class CardShell(QWidget):
    """What the agent sees of the card within the first moments: the header and "waiting for a call"."""

    def __init__(self, texts: dict[str, str], scale: float, line_state: str, tray: bool) -> None:
        super().__init__(None)
        root = card_window(self, texts)
        self.shape = CardShape(self, lambda: scale)   # the card's rounded edge, as the card has it
        self.header = CardHeader(texts)
        self.header.hide_button.setVisible(tray)   # as on the card: without a tray it could not come back
        show_line_state(self.header.status, texts, line_state)
        root.addLayout(self.header)
        self.idle_label = QLabel(texts["idle"], wordWrap=True)
        root.addWidget(self.idle_label)
        root.addStretch(1)
        scale_card_window(self, root, scale)
        self.painted_at: float | None = None

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if self.painted_at is None:
            self.painted_at = time.time()   # wall clock: a benchmark subtracts its spawn time

    def show_and_paint(self, timeout_ms: int = 2000) -> float:
        """Show the shell and run events until its first frame is painted; that moment (epoch s)."""
        self.show()
        deadline = time.monotonic() + timeout_ms / 1000
        while self.painted_at is None and time.monotonic() < deadline:
            QGuiApplication.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents, 50)
        return self.painted_at if self.painted_at is not None else time.time()

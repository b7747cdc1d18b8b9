"""The settings dialog: agent number, language, softphone, card size, script placeholders and the
coach's keys. Every word comes from the translations (Qt's own Save/Cancel from qtbase_*.qm);
a refused value is explained in a sentence and nothing is saved.

The form scrolls and the dialog stays inside its screen's free area (at 200 % a 1280×800 laptop
has 640×400 to offer); Save and Cancel stay below the form, always in view. It stays on top, as
the card does, so the card never covers it."""

from __future__ import annotations

from PySide6.QtCore import QRect, QTimer, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGroupBox, QKeySequenceEdit, QLabel, QLineEdit,
    QMessageBox, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from ..app.resources import LANGUAGE_NAMES
from ..app.settings import CARD_SCALES, HOTKEYS, Settings

ACTION_LABELS = {   # action → UI text key of its button
    "answer": "answer", "explain": "explain", "warn": "warn", "closure": "closure",
    "cancel_closure": "cancel_closure", "copy": "copy", "hang_up": "hang_up",
    "customer_hung_up": "customer_hung_up", "reclassify": "reclassify", "note": "key_note", "done": "done",
    "wrapup": "key_wrapup", "manual_call": "key_manual_call",
    "close_call": "close_call", "policy_misfit": "policy_did_not_fit", "block": "propose_block",
}


# Keys web browsers use themselves (shared reference "global-hotkeys"): grabbed by the card, a CRM
# in a browser never gets them again. The value is the UI text key of what the browser does.
BROWSER_KEYS = {
    "F1": "browser_help", "F3": "browser_find", "F5": "browser_reload", "F6": "browser_address",
    "F7": "browser_caret", "F10": "browser_menu", "F11": "browser_full_screen", "F12": "browser_tools",
    "Ctrl+R": "browser_reload", "Ctrl+W": "browser_close_tab", "Ctrl+N": "browser_new_window",
    "Ctrl+T": "browser_new_tab", "Ctrl+L": "browser_address", "Ctrl+F": "browser_find",
}


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, texts: dict[str, str], validate_softphone=None, parent=None,
                 sync_server: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowStaysOnTopHint, True)   # the always-on-top card must not cover it
        self.settings, self.t, self._validate_softphone = settings, texts, validate_softphone
        self._sync_server = sync_server
        self.setWindowTitle(texts["settings_title"])
        form = QWidget()
        content = QVBoxLayout(form)
        content.addLayout(self._build_form())
        content.addWidget(self._build_keys())
        content.addWidget(QLabel(texts["restart_needed"], wordWrap=True))
        form.setMinimumWidth(420)   # room for the wrapped hints in both languages
        # No Tab stop of its own (a nameless box for a screen reader): Tab into a field scrolls to it.
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame, focusPolicy=Qt.NoFocus)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._fit_to_screen()

    def _screen_area(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    def _fit_to_screen(self) -> None:
        """As big as the form wants, but never past the screen's free area (the form scrolls)."""
        area = self._screen_area()
        frame = self.frameGeometry().size() - self.geometry().size() if self.isVisible() else None
        # Before the window manager framed it, leave room for a title bar and borders.
        extra_w, extra_h = (frame.width(), frame.height()) if frame and frame.height() > 0 else (16, 48)
        form = self.scroll.widget()
        margins = self.layout().contentsMargins()
        bar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        want_w = max(form.sizeHint().width(), form.minimumWidth()) + margins.left() + margins.right() + bar
        want_h = (form.sizeHint().height() + self.buttons.sizeHint().height() + self.layout().spacing()
                  + margins.top() + margins.bottom())
        width = min(max(want_w, self.sizeHint().width()), area.width() - extra_w)
        height = min(want_h, area.height() - extra_h)
        self.setMaximumSize(area.width() - extra_w, area.height() - extra_h)
        self.resize(width, height)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        QTimer.singleShot(0, self._place)   # once the window manager has framed it

    def _place(self) -> None:
        """Resize with the real frame, then move the whole frame inside the free area."""
        self._fit_to_screen()
        area, frame = self._screen_area(), self.frameGeometry()
        x = min(max(frame.left(), area.left()), area.right() - frame.width() + 1)
        y = min(max(frame.top(), area.top()), area.bottom() - frame.height() + 1)
        if (x, y) != (frame.left(), frame.top()):
            self.move(self.pos().x() + x - frame.left(), self.pos().y() + y - frame.top())

    def _build_form(self) -> QFormLayout:
        t, settings = self.t, self.settings
        form = QFormLayout()
        self.agent_id = QLineEdit(settings.get("agent_id"), maxLength=20)
        if self._sync_server:   # logged in: the number is the server device's (saved by `hangup-coach login`)
            self.agent_id.setReadOnly(True)
            self.agent_id.setToolTip(t["agent_id_from_server"])
            self.agent_id.setAccessibleDescription(t["agent_id_from_server"])
        self.language = QComboBox()
        self.language.addItem(t["language_system"], "")
        for value, label in LANGUAGE_NAMES.items():
            self.language.addItem(label, value)
        self.language.setCurrentIndex(self.language.findData(settings.get("language")))
        self.softphone = QLineEdit(settings.get("softphone"), placeholderText="baresip://127.0.0.1:4444")
        self.softphone.setToolTip(t["softphone_hint"])
        self.scale = QComboBox()
        for value in CARD_SCALES:
            self.scale.addItem(f"{round(value * 100)} %", value)
        self.scale.setCurrentIndex(self.scale.findData(settings.get("card_scale")))
        self.branch_hours = QLineEdit(settings.get("branch_hours"), maxLength=60)
        self.bell = QCheckBox(t["end_of_wait_bell"], checked=settings.get("end_of_wait_bell"))
        # where IT installed the autostart entry (apt's hangup-coach-autostart, the Windows task)
        self.autostart = QCheckBox(t["autostart"], checked=settings.get("autostart"))
        for key, widget in (("agent_id", self.agent_id), ("language", self.language), ("softphone", self.softphone),
                            ("card_scale", self.scale), ("branch_hours", self.branch_hours)):
            form.addRow(t[key], widget)
        # read-only: set with `hangup-coach login --server URL`, which also checks the token
        self.sync_server = QLabel(self._sync_server or t["sync_not_connected"], wordWrap=True)
        self.sync_server.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(t["sync_server"], self.sync_server)
        form.addRow(self.bell)
        form.addRow(self.autostart)
        return form

    def _build_keys(self) -> QGroupBox:
        group = QGroupBox(self.t["keys_title"])
        box = QVBoxLayout(group)
        box.addWidget(QLabel(self.t["keys_hint"], wordWrap=True))
        form = QFormLayout()
        box.addLayout(form)
        current = self.settings.hotkeys()
        self.keys: dict[str, QKeySequenceEdit] = {}
        for action in HOTKEYS:
            edit = QKeySequenceEdit(QKeySequence(current[action]))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            name = self.t[ACTION_LABELS[action]]
            edit.setAccessibleName(name)
            field = edit.findChild(QLineEdit)   # the part that takes the focus: a reader says its name
            field.setAccessibleName(name)
            for clear in field.findChildren(QToolButton):
                clear.setAccessibleName(self.t["clear_key"].format(action=name))
            self.keys[action] = edit
            form.addRow(self.t[ACTION_LABELS[action]], edit)
        return group

    def _problem(self, values: dict) -> str | None:
        """The first thing wrong with the form, as a sentence for the agent; None if all is fine."""
        t = self.t
        if not values["agent_id"]:
            return t["error_agent_id"]
        if values["softphone"] and self._validate_softphone:
            try:
                self._validate_softphone(values["softphone"])
            except ValueError as exc:
                return t["error_softphone"].format(url=values["softphone"], detail=exc)
        seen: dict[str, str] = {}
        for action in HOTKEYS:
            key = values[f"hotkeys/{action}"]
            if key and key in seen:
                return t["error_key_twice"].format(key=QKeySequence(key).toString(QKeySequence.NativeText),
                                                   first=t[ACTION_LABELS[seen[key]]],
                                                   second=t[ACTION_LABELS[action]])
            seen[key] = action
        return None

    def accept(self) -> None:
        values = {
            "agent_id": self.agent_id.text().strip(), "language": self.language.currentData(),
            "softphone": self.softphone.text().strip(), "card_scale": self.scale.currentData(),
            "branch_hours": self.branch_hours.text().strip(),
            "end_of_wait_bell": self.bell.isChecked(),
            "autostart": self.autostart.isChecked(),
            **{f"hotkeys/{action}": edit.keySequence().toString() for action, edit in self.keys.items()},
        }
        problem = self._problem(values)
        if problem is None and not self._browser_keys_confirmed(values):
            return
        if problem is None:
            try:
                for key, value in values.items():
                    self.settings.set(key, value)
            except ValueError:
                problem = self.t["error_setting"]
        if problem is not None:
            QMessageBox.warning(self, self.t["settings_title"], problem)
            return
        super().accept()

    def _browser_keys_confirmed(self, values: dict) -> bool:
        """A key a browser uses is allowed (a centre may have a desktop CRM), but only after a
        warning that names the key and what the browser does with it."""
        for action in HOTKEYS:
            key = values[f"hotkeys/{action}"]
            if key in BROWSER_KEYS and key != self.settings.hotkeys()[action]:
                text = self.t["browser_key_warning"].format(
                    key=QKeySequence(key).toString(QKeySequence.NativeText), action=self.t[ACTION_LABELS[action]],
                    browser=self.t[BROWSER_KEYS[key]])
                answer = QMessageBox.warning(self, self.t["settings_title"], text,
                                             QMessageBox.Save | QMessageBox.Cancel, QMessageBox.Cancel)
                if answer != QMessageBox.Save:
                    return False
        return True

"""The floating card: always on top, frameless, draggable, small enough not to cover the CRM.

Thin by design: it renders the controller's current call and forwards clicks. Buttons take no
keyboard focus and the window does not activate when a call rings, so the agent keeps typing
in the CRM; the note field takes focus only when the agent clicks into it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QTextCursor
from PySide6.QtWidgets import (
    QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QMenu, QPlainTextEdit, QProgressBar,
    QPushButton, QScrollArea, QStyle, QToolButton, QVBoxLayout, QWidget,
)

from ..app.controller import Controller
from ..core.callers import SUB_REASONS, CallerClass, EndedBy, SubReason
from ..core.card_view import CardView
from ..core.phone import mask
from ..store.calls import NOTE_LIMIT
from .block_proposal import BlockProposalButton
from .policy_misfit import PolicyMisfitButton
from .call_list import CallList
from .card_shape import CardShape
from .card_shell import CardHeader, card_window, scale_card_window, show_line_state
from .flash import EdgeFlash
from .foreground import Foreground, platform_foreground
from .card_keys import ACTION_TEXTS, SHORTCUTS, CardKeys  # noqa: F401 (SHORTCUTS: for callers)
from .hotkeys import SystemHotkeys
from .keyboard import KeyboardHandover
from .style import CLASS_MARKS
from .unsaved_rescue import UnsavedRescue, tell_journal_damage

NOTE_DEBOUNCE_MS = 300   # typed notes reach the disk within ~0.3 s of a pause
NOTE_MAX_WAIT_MS = 700   # and within ~0.7 s during continuous typing (a crash loses at most ~1 s)
COPIED_MS = 2000         # how long the copy button says "copied"
SWITCH_SHOWN_MS = 15000  # how long the card says that the line moved it to another call
CLOSE_REASONS = ("ended_on_phone", "not_a_call", "duplicate")   # why the agent closes a call (close_call)

class NoteEdit(QPlainTextEdit):
    """The call note. A paste that would pass NOTE_LIMIT is cut there and reported: a megabyte on
    one line would otherwise freeze the card's text layout for minutes."""

    truncated = Signal(int)  # characters that were not pasted

    def insertFromMimeData(self, source) -> None:  # noqa: N802 (Qt name)
        text = source.text() if source.hasText() else ""
        room = NOTE_LIMIT - (len(self.toPlainText()) - len(self.textCursor().selectedText()))
        if len(text) > room:
            self.textCursor().insertText(text[:max(0, room)])
            self.truncated.emit(len(text) - max(0, room))
            return
        super().insertFromMimeData(source)


class CoachCard(QWidget):
    position_changed = Signal(QPoint)
    settings_requested = Signal()   # the card's menu (there may be no tray: stock GNOME, kiosks)
    quit_requested = Signal()

    def __init__(self, controller: Controller, texts: dict[str, str], scale: float = 1.0,
                 clock_now: Callable[[], datetime] | None = None, foreground: Foreground | None = None) -> None:
        super().__init__(None)
        self._root = card_window(self, texts)   # the shell's window too (card_shell.py)
        self.setAttribute(Qt.WA_AlwaysShowToolTips, True)   # the card is almost never the active window
        self.controller, self.t, self.scale = controller, texts, scale
        self.shape = CardShape(self, lambda: self.scale)   # nothing square outside the rounded edge
        self._now = clock_now or controller.clock.now
        self._shown_call: str | None = None
        self._wrapup_for: str | None = None  # the call whose wrap-up fields were pre-filled
        self._drag_from: QPoint | None = None
        self._home: QPoint | None = None     # where the agent put the card (place_at)
        self.buttons: dict[str, QPushButton | QToolButton] = {}
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_height)
        self._build()
        self.key_bindings = CardKeys(self, self.keys_note, self._fit_timer.start)
        self.keyboard = KeyboardHandover(self, foreground or platform_foreground(QGuiApplication.platformName()))
        self.keyboard.watch(self.note)
        self.keyboard.watch(self.number_input)
        self.set_scale(scale)

        self._copied_timer = QTimer(self, singleShot=True, interval=COPIED_MS)
        self._copied_timer.timeout.connect(lambda: _show_text(self.buttons["copy"], self.t["copy"]))
        self._note_timer = QTimer(self, singleShot=True, interval=NOTE_DEBOUNCE_MS)
        self._note_timer.timeout.connect(self.flush_note)
        self._note_max_wait = QTimer(self, singleShot=True, interval=NOTE_MAX_WAIT_MS)
        self._note_max_wait.timeout.connect(self.flush_note)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._update_duration)
        self._tick.start()
        self._grace_tick = QTimer(self, interval=50)
        self._grace_tick.setTimerType(Qt.PreciseTimer)
        self._grace_tick.timeout.connect(self._update_grace)
        self.end_of_wait = EdgeFlash(self)       # the moment the call may end: hard to miss
        self._grace_for: str | None = None       # the call whose wait is running

        app = QGuiApplication.instance()   # screens come, go and change size (docking, resolution)
        app.screenAdded.connect(self._watch_screen)
        app.screenRemoved.connect(self._screens_changed)
        for screen in QGuiApplication.screens():
            self._watch_screen(screen)
        controller.call_changed.connect(self._on_call_changed)   # a method: gone with the card
        controller.note_state.connect(self._on_note_state)
        controller.softphone_status.connect(self.set_softphone_status)
        controller.problem.connect(self._show_problem)
        controller.focus_moved.connect(self._on_focus_moved)
        self._switch_timer = QTimer(self, singleShot=True, interval=SWITCH_SHOWN_MS)
        self._switch_timer.timeout.connect(self.switch_note.hide)
        self._status_state, self._problem_shown = "", False
        controller.store_status.connect(self._on_store_status)
        controller.journal_damaged.connect(self._on_journal_damaged)
        controller.store_file_event.connect(
            lambda event, path: self._show_problem(self.t[f"store_file_{event}"].format(path=path)))
        self.journal_box = None
        self._store_problem = False   # a store trouble is on show (it outranks the softphone's status)
        self.set_softphone_status("offline" if controller.softphone else "manual", "")
        self.render()

    # ----- building ------------------------------------------------------------------------------
    def _button(self, name: str, object_name: str = "") -> QPushButton:
        key = ACTION_TEXTS[name]
        button = QPushButton(self.t[key])
        button.setFocusPolicy(Qt.NoFocus)   # clicking never takes focus from the CRM
        button.setAccessibleName(self.t[key])
        if object_name:
            button.setObjectName(object_name)
        self.buttons[name] = button
        return button

    def _build(self) -> None:
        """Header on top, then the body (idle, call, wrap-up, note) in a scroll area: at 200 % on
        a small screen the card stops at the screen's edge and the body scrolls instead."""
        root = self._root
        self._header = self._build_header()
        root.addLayout(self._header)
        body = self._body_widget = QWidget(objectName="body")
        self._body = QVBoxLayout(body)
        self._body.setContentsMargins(0, 0, 0, 0)
        for part in (self._build_idle(), self._build_call(), self._build_wrapup()):
            self._body.addWidget(part)
        self._build_note(self._body)
        self._body.addStretch(1)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame, focusPolicy=Qt.NoFocus)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(body)
        self.scroll.viewport().setAutoFillBackground(False)
        body.installEventFilter(self)   # its layout asks for room: fit (see event())
        root.addWidget(self.scroll, 1)
        self._fill_menus()
        self._connect_actions()
        self.call_list = CallList(self.controller, self.t)   # the other calls on the line
        self.mount(self.call_list)

    def mount(self, widget: QWidget) -> None:
        """Put another part (e.g. a list of calls on hold) at the top of the card's body."""
        self._body.insertWidget(0, widget)
        self._fit_timer.start()

    def _build_header(self) -> CardHeader:
        header = CardHeader(self.t)   # the same as the shell's (card_shell.py): no jump when the card appears
        self.title, self.sync_label, self.status = header.title, header.sync_label, header.status
        self.clock_label = header.clock_label
        self.hide_button, self.menu_button = header.hide_button, header.menu_button
        self.hide_button.clicked.connect(self.hide)
        self.card_menu = QMenu(self.menu_button)
        self.card_menu.addAction(self.t["settings"], self.settings_requested.emit)
        self.card_menu.addSeparator()
        self.card_menu.addAction(self.t["quit"], self.quit_requested.emit)
        self.menu_button.setMenu(self.card_menu)
        self.rescue = UnsavedRescue(self.controller, self.t)   # shown while notes are in this window only
        header.addWidget(self.rescue)
        self.keys_note = QLabel("", objectName="keysNote", wordWrap=True)   # where the coach's keys work
        self.keys_note.hide()
        header.addWidget(self.keys_note)
        self.switch_note = QLabel("", objectName="switchNote", wordWrap=True)   # the line moved the focus
        self.switch_note.hide()
        header.addWidget(self.switch_note)
        return header

    def _build_idle(self) -> QFrame:
        t = self.t
        self.idle = QFrame()
        idle = QVBoxLayout(self.idle)
        idle.setContentsMargins(0, 0, 0, 0)
        self.idle_label = QLabel(t["idle"], wordWrap=True)
        self.manual_hint = QLabel(t["manual_hint"], wordWrap=True, objectName="status")
        self.manual_entry = QWidget()      # manual mode only: a softphone reports the number itself
        row = QHBoxLayout(self.manual_entry)
        row.setContentsMargins(0, 0, 0, 0)
        self.number_input = QLineEdit(placeholderText="138 0013 8000", maxLength=40)
        self.number_input.setAccessibleName(t["manual_hint"])
        self.number_input.returnPressed.connect(self.start_manual_call)
        self.start_button = QPushButton(t["manual_start"], objectName="primary", focusPolicy=Qt.NoFocus)
        self.start_button.clicked.connect(self.start_manual_call)
        row.addWidget(self.number_input, 1)
        row.addWidget(self.start_button)
        idle.addWidget(self.idle_label)
        idle.addWidget(self.manual_hint)
        idle.addWidget(self.manual_entry)
        return self.idle

    def _build_call(self) -> QFrame:
        self.call = QFrame()
        call = QVBoxLayout(self.call)
        call.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.badge = QLabel(objectName="badge", wordWrap=True)
        self.duration = QLabel("00:00", objectName="duration")
        top.addWidget(self.badge, 1)
        top.addWidget(self.duration, 0, Qt.AlignTop)
        call.addLayout(top)
        self.number = QLabel(objectName="number")
        self.number.setTextInteractionFlags(Qt.NoTextInteraction)
        call.addWidget(self.number)
        self.reason = QLabel(objectName="reason", wordWrap=True)
        call.addWidget(self.reason)

        self.answer_row = QHBoxLayout()
        self.answer_row.addWidget(QLabel(self.t["ringing"], wordWrap=True), 1)
        self.answer_row.addWidget(self._button("answer", "primary"))
        call.addLayout(self.answer_row)
        self._build_counters(call)
        self._build_closure(call)
        self._build_line(call)
        self.flag = QLabel(objectName="flag", wordWrap=True)
        call.addWidget(self.flag)
        tools = QHBoxLayout()
        tools.addWidget(self._build_reclassify())
        tools.addWidget(self._build_close_call())
        tools.addStretch(1)
        call.addLayout(tools)
        self.block_button = BlockProposalButton(self.controller, self.t)   # no-value calls: propose an IVR block
        call.addWidget(self.block_button, 0, Qt.AlignLeft)
        self.buttons["block"] = self.block_button
        return self.call

    def _build_counters(self, call: QVBoxLayout) -> None:
        # One row per counter: side by side they do not fit the card in English.
        self.explanations = QLabel(objectName="counter", wordWrap=True)
        self.warnings = QLabel(objectName="counter", wordWrap=True)
        for label, name in ((self.explanations, "explain"), (self.warnings, "warn")):
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(self._button(name))
            call.addLayout(row)

    def _build_closure(self, call: QVBoxLayout) -> None:
        closure = QHBoxLayout()
        closure.addWidget(self._button("closure", "primary"), 1)
        closure.addWidget(self._button("cancel_closure"), 1)
        call.addLayout(closure)
        self.grace_bar = QProgressBar(textVisible=False)
        self.grace_bar.setAccessibleName(self.t["grace_bar"])
        self.grace_label = QLabel(wordWrap=True)
        call.addWidget(self.grace_label)
        call.addWidget(self.grace_bar)

    def _build_line(self, call: QVBoxLayout) -> None:
        self.line_title = QLabel(self.t["say_this"], objectName="lineTitle", wordWrap=True)
        self.line = QLabel(objectName="line", wordWrap=True)
        self.line.setTextInteractionFlags(Qt.TextSelectableByMouse)
        call.addWidget(self.line_title)
        call.addWidget(self.line)
        actions = QHBoxLayout()
        actions.addWidget(self._button("copy"))
        actions.addStretch(1)
        actions.addWidget(self._button("customer_hung_up"))
        actions.addWidget(self._button("hang_up", "danger"))
        call.addLayout(actions)

    def _build_reclassify(self) -> QToolButton:
        t = self.t
        reclass = QToolButton(text=t["reclassify"], popupMode=QToolButton.InstantPopup, focusPolicy=Qt.NoFocus)
        reclass.setAccessibleName(t["reclassify"])
        self.reclass_menu = QMenu(reclass)
        reclass.setMenu(self.reclass_menu)
        self.buttons["reclassify"] = reclass
        return reclass

    def _build_close_call(self) -> QToolButton:
        """Close a call the line never ended (a lost event), choosing why; wrap-up follows."""
        t = self.t
        button = QToolButton(text=t["close_call"], popupMode=QToolButton.InstantPopup, focusPolicy=Qt.NoFocus)
        button.setAccessibleName(t["close_call"])
        self.close_menu = QMenu(button)
        for key in CLOSE_REASONS:
            self.close_menu.addAction(t[f"close_{key}"], lambda k=key: self.close_call(k))
        button.setMenu(self.close_menu)
        self.buttons["close_call"] = button
        return button

    def _build_wrapup(self) -> QFrame:
        t = self.t
        self.wrapup = QFrame()
        wrap = QVBoxLayout(self.wrapup)
        wrap.setContentsMargins(0, 0, 0, 0)
        wrap.addWidget(QLabel(t["wrapup"], objectName="title"))
        self.ended_by_label = QLabel(t["ended_by"], wordWrap=True)
        # TabFocus: a click never takes the keyboard; the wrap-up key and Tab do (take_wrapup_keyboard).
        self.ended_by = QComboBox(focusPolicy=Qt.TabFocus)
        self.ended_by.setAccessibleName(t["ended_by"])
        self._ended_by_chosen = True
        self.ended_by.activated.connect(lambda _i: setattr(self, "_ended_by_chosen", True))
        self.disposition = QComboBox(focusPolicy=Qt.TabFocus)
        self.disposition.setAccessibleName(t["disposition"])
        # Label above its list: "Please choose who ended the call" beside a list is cut in English.
        for label, widget in ((self.ended_by_label, self.ended_by), (QLabel(t["disposition"], wordWrap=True),
                                                                    self.disposition)):
            label.setBuddy(widget)   # a screen reader's "labelled by" (on Linux a list's name is its choice)
            wrap.addWidget(label)
            wrap.addWidget(widget)
            widget.installEventFilter(self)
        self.wrapup_keys = QLabel(objectName="keysNote", wordWrap=True)   # shown while the keys pick
        self.wrapup_keys.hide()
        wrap.addWidget(self.wrapup_keys)
        done_row = QHBoxLayout()
        self.policy_misfit = PolicyMisfitButton(t)   # "the policy did not fit this call" (QA's agents' voice)
        done_row.addWidget(self.policy_misfit)
        self.buttons["policy_misfit"] = self.policy_misfit
        done_row.addStretch(1)
        done_row.addWidget(self._button("done", "primary"))
        wrap.addLayout(done_row)
        return self.wrapup

    def _build_note(self, body: QVBoxLayout) -> None:
        """The note: kept across talking and wrap-up."""
        t = self.t
        self.note = NoteEdit(placeholderText=t["note_placeholder"])
        self.note.setTabChangesFocus(True)   # Tab leaves the note (a tab character is no use in a note)
        self.note.truncated.connect(self._note_truncated)
        self._note_warning = ""
        self.note_label = QLabel(t["note_label"], objectName="noteLabel")   # visible: not only a placeholder
        self.note_label.setBuddy(self.note)
        self.note.setAccessibleName(t["note_label"])
        for field in (self.note, self.number_input):   # the placeholders' grey: 5.4:1 on white
            palette = field.palette()
            palette.setColor(QPalette.PlaceholderText, QColor("#5f6b76"))
            field.setPalette(palette)
        self.note.textChanged.connect(self._note_typed)
        self.note.installEventFilter(self)
        self.note_state = QLabel("", objectName="noteState", wordWrap=True)
        body.addWidget(self.note_label)
        body.addWidget(self.note)
        body.addWidget(self.note_state)

    def _fill_menus(self) -> None:
        scripts = self.controller.scripts
        for cls in (CallerClass.REGULAR, CallerClass.NO_VALUE, CallerClass.NON_REGULAR):
            for sub in SUB_REASONS[cls]:
                label = scripts.label("classes", cls.value)
                if sub is not SubReason.NONE:
                    label += " · " + scripts.label("sub_reasons", sub.value)
                action = self.reclass_menu.addAction(label)
                action.triggered.connect(lambda _=False, c=cls, s=sub: self.reclassify(c, s))
        # Each choice shows its key: with the wrap-up's keyboard (take_wrapup_keyboard) 1, 2, … pick it.
        for n, who in enumerate(EndedBy, 1):
            self.ended_by.addItem(_keyed(n, scripts.label("ended_by", who.value)), who.value)
        for n, key in enumerate(self.controller.policy.dispositions, 1):
            self.disposition.addItem(_keyed(n, scripts.label("dispositions", key)), key)
        self.wrapup_keys.setText(self.t["wrapup_keys"].format(enders=self.ended_by.count(),
                                                              outcomes=min(9, self.disposition.count())))

    def _connect_actions(self) -> None:
        c = self.controller
        slots = {
            "answer": c.answer,
            "explain": c.explain,
            "warn": c.warn,
            "closure": c.confirm_closure,
            "cancel_closure": c.cancel_closure,
            "copy": self.copy_line,
            "hang_up": self.hang_up,
            "customer_hung_up": self.customer_hung_up,
            "done": self.finish_wrapup,
        }
        for name, slot in slots.items():
            self.buttons[name].clicked.connect(slot)

    def set_keys(self, keys: dict[str, str]) -> None:
        """The coach's keys (action → "Ctrl+Alt+E"), e.g. after Settings changed them."""
        self.key_bindings.set_keys(keys)

    def use_hotkeys(self, hotkeys: SystemHotkeys | None) -> None:
        """Grab the keys system-wide with `hotkeys` (None: this platform cannot)."""
        self.key_bindings.use_hotkeys(hotkeys)

    @property
    def keys(self) -> dict[str, str]:
        return self.key_bindings.keys

    @property
    def hotkeys(self) -> SystemHotkeys | None:
        return self.key_bindings.hotkeys

    def press(self, name: str) -> None:
        """A coach key was pressed: do what its button does, if the button applies now."""
        if name == "note":
            self.focus_note()
            return
        if name == "manual_call":
            if self.number_input.isVisible():
                self.keyboard.take(self.number_input)
            return
        if name == "wrapup" or (name == "done" and self._ender_missing()):
            self.take_wrapup_keyboard()
            if name == "done":
                self.ended_by_label.setText(self.t["ended_by_required"])
            return
        softphone = self.controller.softphone
        if name == "answer" and softphone is not None and softphone.can_answer:
            self.controller.answer()   # also answers a call ringing behind the one in focus
            return
        button = self.buttons[name]
        if not (button.isVisible() and button.isEnabled()):
            return
        if name == "close_call":   # not exec(): the card keeps following the line while the menu is open
            where = button.mapToGlobal(button.rect().bottomLeft())
            self.keyboard.after_handover(lambda: self.close_menu.popup(where))
        elif name in ("reclassify", "policy_misfit", "block"):   # menus that take the keyboard
            self._after_key_release(lambda: self.keyboard.after_handover(button.showMenu))
        else:
            button.click()

    def _after_key_release(self, then: Callable[[], None]) -> None:
        """Run `then` once the coach key that asked for it is let go (see hotkeys.py)."""
        hotkeys = self.key_bindings.hotkeys
        if hotkeys is None:
            then()
        else:
            QTimer.singleShot(0, lambda: hotkeys.after_key_release(then))   # leave the key's own handler first

    # ----- actions -------------------------------------------------------------------------------
    def start_manual_call(self) -> None:
        text = self.number_input.text().strip()
        if self.controller.current is not None:
            return
        self.controller.start_manual_call(text)
        self.number_input.clear()
        self.keyboard.give_back()

    def hang_up(self) -> None:
        self.flush_note()
        self.controller.hang_up()

    def customer_hung_up(self) -> None:
        self.flush_note()
        self.controller.customer_hung_up()

    def copy_line(self) -> None:
        """Copy the scripted line; the button itself says it was copied (the note's "saved"
        would overwrite a status line at once)."""
        QGuiApplication.clipboard().setText(self.line.text())
        _show_text(self.buttons["copy"], self.t["copied"] + " ✓", self.t["copied"])
        self._copied_timer.start()

    def reclassify(self, cls: CallerClass, sub: SubReason) -> None:
        scripts = self.controller.scripts
        label = scripts.label("sub_reasons", sub.value) if sub is not SubReason.NONE else scripts.label("classes", cls.value)
        self.controller.reclassify(cls, sub, self.t["agent_reason"].format(label=label))

    def _ender_missing(self) -> bool:
        """The line could not say who ended the call and the agent has not said it either."""
        return (self.wrapup.isVisible() and self.ended_by.currentData() == EndedBy.UNKNOWN.value
                and not self._ended_by_chosen)

    def take_wrapup_keyboard(self) -> None:
        """The wrap-up key: the card takes the keyboard, digits pick who ended the call and the
        outcome, Return finishes (and gives the keyboard back), Esc gives it back unfinished."""
        if not self.wrapup.isVisible():
            return
        self.wrapup_keys.show()
        self._fit()
        self.keyboard.take(self.ended_by if self._ender_missing() else self.disposition)

    def _wrapup_key(self, combo: QComboBox, event) -> bool:
        """A key pressed while a wrap-up list has the keyboard; True if it was used here."""
        key = event.key()
        if Qt.Key_1 <= key <= Qt.Key_9 and key - Qt.Key_1 < combo.count():
            combo.setCurrentIndex(key - Qt.Key_1)
            if combo is self.ended_by:
                self._ended_by_chosen = True
                self.ended_by_label.setText(self.t["ended_by"])
                _set_property(self.ended_by_label, "ask", False)
                self.disposition.setFocus(Qt.TabFocusReason)   # next: the outcome
            return True
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.finish_wrapup()
            return True
        if key == Qt.Key_Escape:
            self.wrapup_keys.hide()
            self.keyboard.give_back()
            self._fit()
            return True
        return False

    def finish_wrapup(self) -> None:
        view = self.controller.view()
        if view is None or not view.wrapup:
            return
        if self._ender_missing():
            self.ended_by_label.setText(self.t["ended_by_required"])   # the line could not say: the agent must
            return
        self.wrapup_keys.hide()
        self.flush_note()
        self.controller.wrap_up(self.disposition.currentData(), EndedBy(self.ended_by.currentData()),
                                self.policy_misfit.reason)
        self.keyboard.give_back()

    def focus_note(self) -> None:
        if self.note.isVisible():
            self.keyboard.take(self.note)

    def _on_focus_moved(self, previous, now) -> None:
        """The line moved the card to another call: say so plainly (the note typed so far has stayed
        with its call: `_show_call` saved it under that call before switching)."""
        region = self.controller.policy.region
        shown = lambda s: mask(s.record.caller_number, region) if s and s.record.caller_number else "—"  # noqa: E731
        self.switch_note.setText(self.t["focus_moved"].format(now=shown(now), before=shown(previous)))
        self.switch_note.setAccessibleName(self.switch_note.text())
        self.switch_note.show()
        self._switch_timer.start()
        self._fit()

    def close_call(self, reason_key: str) -> None:
        """The agent closes a call the card believes open (the line lost its end), with a reason."""
        self.flush_note()
        self.controller.close_call(reason_key)

    # ----- notes ----------------------------------------------------------------------------------
    def _note_typed(self) -> None:
        if self._shown_call is None:
            return
        self._set_note_state(self.t["note_saving"])
        self._note_timer.start()
        if not self._note_max_wait.isActive():
            self._note_max_wait.start()

    def flush_note(self) -> None:
        """Save the note now (debounce over, call ending, app closing)."""
        self._note_timer.stop()
        self._note_max_wait.stop()
        if self._shown_call is not None:
            self.controller.save_note(self._shown_call, self.note.toPlainText())

    def _on_note_state(self, call_id: str, state: str) -> None:
        if call_id != self._shown_call:   # a wrapped-up call's note: its row on the list comes or goes
            self.call_list.render()
            self._fit()
        else:
            words = {"saved": self.t["note_saved"] + " ✓", "saving": self.t["note_saving"],
                     "unsaved": self.t["note_unsaved"], "memory": self.t["note_memory"]}
            self._set_note_state(words.get(state, state))

    def _note_truncated(self, dropped: int) -> None:
        self._note_warning = self.t["note_truncated"].format(limit=NOTE_LIMIT, dropped=dropped)
        self._set_note_state(self.note_state.text())

    def _set_note_state(self, state: str) -> None:
        self.note_state.setText(f"{state} · {self._note_warning}" if self._note_warning else state)

    # ----- rendering -----------------------------------------------------------------------------
    def _on_call_changed(self, session) -> None:
        """A change to a call that is not on show only touches its row of the list (a burst of other
        calls must not re-lay the whole card per event)."""
        current = self.controller.current
        if current is not None and session is not current and self._shown_call == current.record.id:
            if self.call_list.render():
                self._fit_timer.start()   # the list grew or shrank: fit once the event loop turns
            return
        self.render()

    def render(self) -> None:
        """Show what core computed for the current call (core/card_view.py)."""
        self.call_list.render()
        view = self.controller.view()
        self._show_call(view.call_id if view else None)
        self.idle.setVisible(view is None)
        for part in (self.call, self.note_label, self.note, self.note_state):
            part.setVisible(view is not None)
        if view is None:
            self.wrapup.hide()
            self._grace_tick.stop()
        else:
            self._render_caller(view)
            self._render_counters(view)
            self._render_closure(view)
            self._render_line(view)
            self._render_ending(view)
        self._fit()

    def _render_caller(self, view: CardView) -> None:
        badge = f"{CLASS_MARKS[view.caller_class.value]} {view.badge}"
        self.badge.setText(badge)
        self.badge.setProperty("cls", view.caller_class.value)   # its colour: style.py
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self.badge.setAccessibleName(badge)
        self.number.setText(view.number)
        self.reason.setText(view.reason)
        self._update_duration()
        self._set_row_visible(self.answer_row, view.ringing)
        self.buttons["answer"].setVisible(view.answer_button)
        self.buttons["reclassify"].setVisible(view.reclassify_button)
        self.buttons["close_call"].setVisible(view.reclassify_button)   # any call not yet ended
        self.block_button.show_for(view.call_id, view.block_button)

    def _render_counters(self, view: CardView) -> None:
        for label, button, counter, text in ((self.explanations, "explain", view.explanations, "explanations"),
                                             (self.warnings, "warn", view.warnings, "warnings")):
            label.setVisible(counter is not None)
            self.buttons[button].setVisible(counter is not None and counter.button)
            if counter is not None:
                label.setText(f"{self.t[text]} {counter.count} / {counter.limit}")
                _set_property(label, "reached", counter.reached)

    def _render_closure(self, view: CardView) -> None:
        self.buttons["closure"].setVisible(view.closure_button)
        self.buttons["cancel_closure"].setVisible(view.cancel_closure_button)
        self.grace_bar.setVisible(view.grace_running)
        self.grace_label.setVisible(view.grace_running or view.left_in_grace)
        if view.grace_running:
            self._grace_for = view.call_id
        elif self._grace_for == view.call_id:   # the wait of this call is over
            self._grace_for = None
            if view.hang_up_allowed:
                self.end_of_wait.start()
        if view.grace_running:
            self.grace_bar.setRange(0, round(self.controller.policy.grace_seconds * 1000))
            self._grace_tick.start()
            self._update_grace()
        else:
            self._grace_tick.stop()
            if view.left_in_grace:
                self.grace_label.setText(self.t["customer_left_in_grace"])

    def _render_line(self, view: CardView) -> None:
        prompt = view.prompt
        for widget in (self.line_title, self.line, self.buttons["copy"]):
            widget.setVisible(prompt is not None)
        if prompt is None:
            return
        self.line_title.setText(self.t["may_hang_up"] if prompt.allows_hangup else self.t["say_this"])
        self.line.setText(self.controller.line_text(prompt))
        for widget in (self.line, self.line_title):
            _set_property(widget, "allowed", prompt.allows_hangup)

    def _render_ending(self, view: CardView) -> None:
        hang_up = self.buttons["hang_up"]
        text = self.t["hang_up"] if view.hangs_up_on_line else self.t["i_hung_up"]
        _show_text(hang_up, f"✓ {text}" if view.hang_up_allowed else text, text)
        hang_up.setVisible(view.hang_up_button)
        _set_property(hang_up, "allowed", view.hang_up_allowed)
        self.buttons["customer_hung_up"].setVisible(view.customer_hung_up_button)
        flags = [self.t["early_flag" if flag == "early" else flag] for flag in view.flags]
        self.flag.setText("\n".join(flags))
        self.flag.setVisible(bool(flags))
        self.wrapup.setVisible(view.wrapup)
        if view.wrapup:
            self._prefill_wrapup(view)

    def _show_call(self, call_id: str | None) -> None:
        """Switch the note field to another call (loading what the store has for it)."""
        if call_id == self._shown_call:
            return
        self.flush_note()
        self._shown_call = None
        self.note.blockSignals(True)
        self.note.setPlainText(self.controller.note_text(call_id) if call_id else "")
        self.note.moveCursor(QTextCursor.End)   # the agent goes on where they left off
        self.note.blockSignals(False)
        self._note_warning = ""
        self.note_state.setText("")
        self._shown_call = call_id

    def _prefill_wrapup(self, view: CardView) -> None:
        if self._wrapup_for == view.call_id:
            return
        self._wrapup_for = view.call_id
        self.policy_misfit.choose(None)
        self.ended_by.setCurrentIndex(self.ended_by.findData(view.ended_by))
        unknown = view.ended_by == EndedBy.UNKNOWN.value
        self._ended_by_chosen = not unknown
        self.ended_by_label.setText(self.t["ended_by_ask"] if unknown else self.t["ended_by"])
        _set_property(self.ended_by_label, "ask", unknown)
        self.disposition.setCurrentIndex(max(0, self.disposition.findData(view.suggested_disposition)))

    def _update_duration(self) -> None:
        session = self.controller.current
        if session is None or session.record.answered_at is None:
            self.duration.setText("00:00")
            return
        end = session.record.ended_at or self._now()
        seconds = max(0, int((end - session.record.answered_at).total_seconds()))
        self.duration.setText(f"{seconds // 60:02d}:{seconds % 60:02d}")

    def _update_grace(self) -> None:
        session = self.controller.current
        remaining = session.grace_remaining if session else None
        if remaining is None:
            self._grace_tick.stop()
            return
        total = self.controller.policy.grace_seconds
        self.grace_bar.setValue(round((total - remaining) * 1000))
        self.grace_label.setText(self.t["grace"].format(seconds=f"{remaining:.1f}"))

    def _set_row_visible(self, layout: QHBoxLayout, visible: bool) -> None:
        for i in range(layout.count()):
            widget = layout.itemAt(i).widget()
            if widget is not None:
                widget.setVisible(visible)

    def set_softphone_status(self, state: str, detail: str) -> None:
        self._softphone_status = (state, detail)
        manual = self.controller.softphone is None
        self.manual_hint.setVisible(manual)
        self.manual_entry.setVisible(manual)
        if self._store_problem:   # the database's trouble stays on show until it is over
            return
        if self._problem_shown and state == self._status_state:
            return   # a retry that changes nothing must not hide the error the agent has not seen yet
        self._status_state, self._problem_shown = state, False
        show_line_state(self.status, self.t, state, detail)

    def _on_store_status(self, kind: str, detail: str) -> None:
        """The database's trouble in words (resources/translations), until it is over."""
        self._store_problem = kind != "ok"
        self.rescue.setVisible(kind in ("memory", "unmounted"))   # in this window only
        self._fit()
        if kind == "ok":
            self._problem_shown = False   # the store's message is over: the line's status comes back
            self.set_softphone_status(*self._softphone_status)
        else:
            self._show_problem(self.t.get(f"store_{kind}", self.t["store_io"]))

    def _on_journal_damaged(self, damage, calls: int, notes: int) -> None:
        self.journal_box = tell_journal_damage(self, self.t, damage, calls, notes)

    def set_sync_status(self, text: str, detail: str, offline: bool) -> None:
        self.sync_label.setText(text)
        self.sync_label.setToolTip(detail)
        _set_property(self.sync_label, "problem", offline)

    def set_clock_warning(self, text: str) -> None:
        """This machine's clock is off (text), or right again (""): a row of its own, shown only then."""
        if text == self.clock_label.text() and self.clock_label.isVisible() == bool(text):
            return
        self.clock_label.setText(text)
        self.clock_label.setVisible(bool(text))
        self._fit()

    def _show_problem(self, text: str) -> None:
        self._problem_shown = True
        self.status.setText(text)   # the whole message: the label wraps (it has a row of its own)
        self.status.setToolTip(text)
        _set_property(self.status, "problem", True)

    def _fit(self) -> None:
        """Fit now (so the widgets have their places for the next click) and once more after the
        event loop has applied the rows shown or hidden."""
        self._fit_height()
        self._fit_timer.start()

    def _fit_height(self) -> None:
        """Grow or shrink to the content, but never past the screen (the body scrolls then).

        The width is fixed, so the height comes from the layouts' height-for-width (adjustSize()
        sized wrapped lines for a guessed width and cut the scripted line short). Runs one
        event-loop turn after a render, once the rows shown or hidden have been laid out."""
        root, body = self.layout(), self.scroll.widget().layout()
        root.activate()
        margins = root.contentsMargins()
        inner = self.width() - margins.left() - margins.right()
        chrome = margins.top() + self._header.totalHeightForWidth(inner) + root.spacing() + margins.bottom()
        room = self._nearest_screen_area().height()
        content = body.totalHeightForWidth(inner)
        if chrome + content > room:   # the scroll bar shows and takes its width from the content
            content = body.totalHeightForWidth(inner - self.style().pixelMetric(QStyle.PM_ScrollBarExtent))
        # QScrollArea sizes its widget by minimum size, not height-for-width: wrapped lines need this.
        body_widget = self.scroll.widget()
        body_widget.setMinimumHeight(content)
        self.resize(self.width(), min(chrome + content, room))
        root.activate()
        body_widget.resize(self.scroll.viewport().width(), max(content, self.scroll.viewport().height()))
        body.activate()
        self.keep_on_screen()

    def place_at(self, pos: QPoint) -> None:
        """Where the agent put the card (a drag, the saved position). Pushed aside by a screen
        that shrank or by the card growing, it comes back here once there is room again."""
        self._home = QPoint(pos)
        self.move(pos)
        self.keep_on_screen()

    def keep_on_screen(self) -> None:
        """Put the card as near to where the agent put it as the screen nearest to it allows,
        wholly on that screen (a saved position may be on a monitor that is gone, a resolution
        may have shrunk, or the card may have grown past the bottom edge)."""
        frame = self.frameGeometry()
        offset = frame.topLeft() - self.pos()
        wanted = QRect((self._home if self._home is not None else self.pos()) + offset, frame.size())
        area = self._nearest_screen_area(wanted.center())
        x = min(max(wanted.left(), area.left()), area.right() - wanted.width() + 1)
        y = min(max(wanted.top(), area.top()), area.bottom() - wanted.height() + 1)
        if (x, y) != (frame.left(), frame.top()):
            self.move(QPoint(x, y) - offset)

    def _watch_screen(self, screen) -> None:
        screen.availableGeometryChanged.connect(self._screens_changed)
        screen.geometryChanged.connect(self._screens_changed)

    def _screens_changed(self, *_args) -> None:
        """A screen came, went or changed size: fit the height to the room and stay on screen."""
        self._fit_timer.start()

    def _nearest_screen_area(self, center: QPoint | None = None):
        center = center if center is not None else self.frameGeometry().center()
        screens = QGuiApplication.screens()
        on = QGuiApplication.screenAt(center)
        if on is not None:
            return on.availableGeometry()

        def distance(screen) -> int:
            area = screen.availableGeometry()
            dx = max(area.left() - center.x(), 0, center.x() - area.right())
            dy = max(area.top() - center.y(), 0, center.y() - area.bottom())
            return dx * dx + dy * dy
        return min(screens, key=distance).availableGeometry()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        scale_card_window(self, self._root, scale)
        self._body.setSpacing(round(6 * scale))
        self.note.setFixedHeight(round(64 * scale))
        self._fit_timer.start()

    # ----- window behaviour ------------------------------------------------------------------------
    def event(self, event) -> bool:
        """A layout asking for room (a message that now wraps onto a second line, a row shown)
        fits the card again on the next turn: else the card keeps its height, the body scrolls
        and the new line hides below the viewport, behind a scroll bar."""
        if event.type() == event.Type.LayoutRequest:
            self._fit_timer.start()
        return super().event(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is self._body_widget and event.type() == event.Type.LayoutRequest:
            self._fit_timer.start()
        if obj is self.note and event.type() == event.Type.FocusOut:
            self.flush_note()
        if obj in (self.ended_by, self.disposition) and event.type() == event.Type.KeyPress:
            if self._wrapup_key(obj, event):
                return True
        return super().eventFilter(obj, event)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == event.Type.ActivationChange and not self.isActiveWindow():
            self.keyboard.window_deactivated()
        super().changeEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        self.card_menu.popup(event.globalPos())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton:
            self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag_from is not None and event.buttons() & Qt.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag_from)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drag_from is not None:
            self._drag_from = None
            self._home = self.pos()
            self.position_changed.emit(self.pos())

    def closeEvent(self, event) -> None:  # noqa: N802
        self.flush_note()
        super().closeEvent(event)



def _show_text(widget, text: str, spoken: str | None = None) -> None:
    """Show `text` and give a screen reader the same words (without marks such as ✓)."""
    widget.setText(text)
    widget.setAccessibleName(spoken or text)


def _keyed(n: int, label: str) -> str:
    """A choice with its key beside it ("3  Customer"); keys go up to 9."""
    return f"{n}  {label}" if n <= 9 else label


def _set_property(widget: QWidget, name: str, value: bool) -> None:
    """A style property (see style.py) that the stylesheet must re-read."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)

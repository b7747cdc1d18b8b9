"""The review window: one sampled call at a time, its facts, timeline, note and recording, and the form.

The seed's three thoughts while analysing: before the call, after it, beside it. A reviewer does
hundreds, so everything is on the keyboard: ↑/↓ picks the form's field, 1–9 picks (or, for a
several-answer field, toggles) an option, Space plays or pauses the recording, ←/→ seek 5 s,
Enter saves the review and shows the next call, PgUp/PgDn move between calls. The window works
on a batch pulled to this PC; each review is saved locally and queued for the outbox at once.

Without a batch (`batch_id` None, the calls given) it only browses: the calls behind a dashboard
figure, to listen and read; the form is not shown and Enter shows the next call.

The window never waits on the disk or the network: reading the batch, saves and recording look-ups
go to its ReviewWorker (app/qa_review_worker.py) and come back on this thread (it opens at once,
saying it is reading the batch). Enter moves on at once; a save
that fails says so and keeps its answers on screen for another Enter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from ..app.qa_review_worker import ReviewWorker
from ..app.recordings import NoRecording, find_recording
from ..core.phone import mask
from ..core.qa_form import Form, FormError
from ..core.qa_recordings import RecordingSource
from .qa_player import SEEK_MS, RecordingPlayer

DIGITS = {getattr(Qt, f"Key_{n}"): n for n in range(1, 10)}


class FieldRow(QFrame):
    """One field of the form: its label and its numbered options (or a line of text)."""

    def __init__(self, field, lang: str, parent=None) -> None:
        super().__init__(parent, objectName="qaField")
        self.field = field
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        suffix = "" if field.required else " ·"
        self.title = QLabel(field.label(lang) + suffix, wordWrap=True)
        layout.addWidget(self.title)
        self.buttons: list[QPushButton] = []
        self.edit: QLineEdit | None = None
        if field.type == "text":
            self.edit = QLineEdit(maxLength=field.max_length)
            self.edit.setAccessibleName(field.label(lang))
            layout.addWidget(self.edit)
            return
        row = QHBoxLayout()
        labels = ([(o.key, o.label(lang)) for o in field.options] if field.type != "score"
                  else [(v, str(v)) for v in range(field.min, field.max + 1)])
        for n, (value, label) in enumerate(labels, start=1):
            button = QPushButton(f"{n} {label}", checkable=True, focusPolicy=Qt.NoFocus)
            button.setProperty("value", value)
            button.setAccessibleName(f"{field.label(lang)}: {label}")
            self.buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def set_current(self, on: bool) -> None:
        chosen = "QPushButton:checked { background: #2f6fde; color: white; border: 1px solid #1d4fa8; }"
        self.setStyleSheet(("#qaField { border: 2px solid #2f6fde; border-radius: 4px; }" if on
                            else "#qaField { border: 2px solid transparent; }") + chosen)

    def pick(self, n: int) -> None:
        if not 1 <= n <= len(self.buttons):
            return
        button = self.buttons[n - 1]
        if self.field.type == "multi":
            button.setChecked(not button.isChecked())
        else:
            for other in self.buttons:
                other.setChecked(other is button)

    def value(self):
        if self.edit is not None:
            return self.edit.text().strip()
        chosen = [b.property("value") for b in self.buttons if b.isChecked()]
        if self.field.type == "multi":
            return chosen
        return chosen[0] if chosen else None

    def set_value(self, value) -> None:
        if self.edit is not None:
            self.edit.setText(value or "")
            return
        values = value if isinstance(value, list) else [value]
        for b in self.buttons:
            b.setChecked(b.property("value") in values)


class ReviewWindow(QWidget):
    review_saved = Signal(str)          # a call id: its review is on disk (and queued for the outbox)
    review_not_saved = Signal(str)      # a call id: its save failed (said in the status line)
    recording_shown = Signal(str)       # a call id: its recording (or why there is none) is shown
    loaded = Signal()                   # the batch is read and its first call shown (or why not, said)

    def __init__(self, database: Path, batch_id: str | None, form: Form, policy, texts: dict[str, str], lang: str, reviewer_id: str,
                 recordings: RecordingSource, cache_dir: Path, utc_offset_minutes: int,
                 now: Callable[[], str], calls: list | None = None, parent=None, download=None) -> None:
        """`database`: this PC's file, read and written by the window's threads only. Browsing
        (`batch_id` None) shows the `calls` given; with a batch, its calls are read off this thread."""
        super().__init__(parent)
        self.form, self.policy, self.texts, self.lang = form, policy, texts, lang
        self.browsing = batch_id is None
        self.batch: dict | None = None                    # the batch's row, once read
        self.reviewer_id, self.recordings, self.cache_dir = reviewer_id, recordings, cache_dir
        self.utc_offset, self.now = utc_offset_minutes, now
        self.calls = list(calls) if self.browsing else []
        self.reviews: dict[str, dict] = {}                # on disk, plus those on their way
        self.saving: dict[str, dict] = {}                 # call id → answers handed to the worker
        self.unsaved: dict[str, dict] = {}                # call id → answers whose save failed
        self.worker = ReviewWorker(Path(database), batch_id or "",
                                   _finder(recordings, cache_dir, utc_offset_minutes, download))
        self.index = 0
        self.current_field = 0
        self.setWindowTitle(texts["review_title"])
        self.resize(1180, 760)
        self.setFocusPolicy(Qt.StrongFocus)

        self.header = QLabel(texts["browse_line"].format(count=len(self.calls)) if self.browsing
                             else texts["batch_reading"].format(batch=batch_id[:8]))
        self.header.setStyleSheet("font-weight: bold;")
        self.progress = QLabel()

        # left: the call
        self.facts = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.timeline = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.note = QPlainTextEdit(readOnly=True, focusPolicy=Qt.NoFocus)
        self.note.setAccessibleName(texts["note"])
        self.note.setMaximumHeight(110)
        self.player = RecordingPlayer(texts)
        left = QWidget()
        lv = QVBoxLayout(left)
        for title, widget in ((texts["facts"], self.facts), (texts["timeline"], self.timeline),
                              (texts["note"], self.note), (texts["recording"], self.player)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            lv.addWidget(box)
        lv.addStretch(1)

        # right: the form
        self.rows: list[FieldRow] = []
        right = QWidget()
        rv = QVBoxLayout(right)
        for section in form.sections:
            fields = [f for f in form.fields if f.section == section.key]
            if not fields:
                continue
            head = QLabel(section.label(lang))
            head.setStyleSheet("font-weight: bold; margin-top: 6px;")
            rv.addWidget(head)
            for f in fields:
                row = FieldRow(f, lang)
                if row.edit is not None:
                    row.edit.installEventFilter(self)
                self.rows.append(row)
                rv.addWidget(row)
        rv.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, focusPolicy=Qt.NoFocus)
        scroll.setWidget(right)
        scroll.setVisible(not self.browsing)            # browsing: nothing to fill in

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setSizes([470, 710])
        self.status = QLabel(wordWrap=True)
        self.help = QLabel(texts["browse_keys_help" if self.browsing else "keys_help"], wordWrap=True)
        self.help.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.progress)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.help)
        if self.browsing:
            self.show_call(0)
        else:
            self.worker.load(self, self._loaded, self._load_failed)

    def _loaded(self, answer: tuple) -> None:
        batch, calls, reviews = answer
        if batch is None:
            self._load_failed(LookupError(self.texts["batch_missing"]))
            return
        self.batch, self.calls = batch, calls
        self.reviews = {**reviews, **self.reviews}
        self.header.setText(self.texts["batch_line"].format(
            batch=batch["id"][:8], purpose=self.texts[f"purpose_{batch['purpose']}"], form=self.form.title(self.lang),
            version=self.form.version))
        self.show_call(0)
        self.loaded.emit()

    def _load_failed(self, exc: Exception) -> None:
        self.status.setText(self.texts["batch_unreadable"].format(error=exc))
        self.loaded.emit()

    # ----- showing a call -----------------------------------------------------------------------
    def show_call(self, index: int) -> None:
        if not self.calls:
            return
        self.index = max(0, min(index, len(self.calls) - 1))
        item = self.calls[self.index]
        call = item.call
        t = self.texts
        self._update_progress()
        yes_no = lambda v: t["yes"] if v else t["no"]   # noqa: E731
        sub = f" · {t.get('reason_' + call['sub_reason'], call['sub_reason'])}" if call.get("sub_reason") else ""
        who = t.get(f"who_{call.get('ended_by') or 'unknown'}", call.get("ended_by") or "-")
        rows = [
            (t["agent"], item.agent_id),
            (t["started"], self._local(call.get("started_at"), "%Y-%m-%d %H:%M:%S")),
            (t["caller"], mask(call.get("caller_number"))),
            (t["caller_class"], t.get(f"class_{call.get('caller_class')}", call.get("caller_class")) + sub),
            (t["outcome"], t.get(f"outcome_{item.outcome}", item.outcome)),
            ("", t["explanations_of"].format(count=call.get("explanations", 0),
                                             threshold=self.policy.explanations_before_polite_end)),
            ("", t["warnings_of"].format(count=call.get("warnings", 0), threshold=self.policy.warnings_before_cutoff)),
            (t["ended_by"], who),
            (t["early_flag"], yes_no(call.get("agent_ended_early"))),
        ]
        self.facts.setText("<table>" + "".join(
            f"<tr><td style='color:#555;padding-right:8px'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        self.timeline.setText(self._timeline(call, who))
        self.note.setPlainText(item.note or t["no_note"])
        self.player.show_none(NoRecording("rec_loading"))
        self.worker.find_recording(self, call, self._recording_found,
                                   lambda exc, c=item.call_id: self._recording_found(
                                       (c, NoRecording("rec_unreadable", str(exc)))))
        saved = self.unsaved.get(item.call_id) or self.reviews.get(item.call_id, {}).get("answers", {})
        for row in self.rows:
            row.set_value(saved.get(row.field.key))
        self.current_field = 0
        self._mark_current()
        self.status.setText("")

    def _timeline(self, call: dict, who: str) -> str:
        t = self.texts
        start = call.get("started_at")
        events = [("t_ring", start), ("t_answer", call.get("answered_at")),
                  ("t_closure", call.get("closure_confirmed_at")), ("t_allowed", call.get("hangup_allowed_at")),
                  ("t_prompt", call.get("hangup_prompted_at")), ("t_hangup", call.get("ended_at"))]
        lines = []
        base = datetime.fromisoformat(start) if start else None
        for key, when in events:
            if not when:
                continue
            offset = (datetime.fromisoformat(when) - base).total_seconds() if base else 0.0
            label = t[key].format(who=who)
            lines.append(f"<tr><td style='padding-right:8px'>+{offset:6.1f} s</td>"
                         f"<td style='padding-right:8px'>{self._local(when, '%H:%M:%S')}</td><td>{label}</td></tr>")
        return "<table>" + "".join(lines) + "</table>"

    def _local(self, when: str | None, fmt: str) -> str:
        if not when:
            return "-"
        return (datetime.fromisoformat(when) + timedelta(minutes=self.utc_offset)).strftime(fmt)

    def _update_progress(self) -> None:
        if self.browsing:
            self.progress.setText(self.texts["browse_progress"].format(position=self.index + 1, total=len(self.calls)))
            return
        self.progress.setText(self.texts["progress"].format(position=self.index + 1, total=len(self.calls),
                                                            done=len(self.reviews)))

    def _mark_current(self) -> None:
        for n, row in enumerate(self.rows):
            row.set_current(n == self.current_field)
        row = self.rows[self.current_field]
        if row.edit is not None:
            row.edit.setFocus()
        else:
            self.setFocus()

    # ----- keys ---------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self.handle_key(event.key(), event.modifiers()):
            super().keyPressEvent(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        """In the free-text field the keys type, except those that move on."""
        if event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Up, Qt.Key_Down, Qt.Key_Return, Qt.Key_Enter,
                                                                Qt.Key_Escape, Qt.Key_PageUp, Qt.Key_PageDown):
            key = Qt.Key_Down if event.key() == Qt.Key_Escape else event.key()
            return self.handle_key(key, event.modifiers())
        return False

    def handle_key(self, key, modifiers) -> bool:
        if not self.calls and key != Qt.Key_Escape:
            return True                                # the batch is still being read: nothing to act on
        if self.browsing and (key in DIGITS or key in (Qt.Key_Up, Qt.Key_Down, Qt.Key_Tab, Qt.Key_Backtab)):
            return False                               # browsing: no form to fill in
        if key in DIGITS:
            self.rows[self.current_field].pick(DIGITS[key])
            if self.rows[self.current_field].field.type in ("choice", "score"):
                self._move_field(+1)   # one answer given: on to the next question
            return True
        if key in (Qt.Key_Down, Qt.Key_Tab):
            self._move_field(+1)
        elif key in (Qt.Key_Up, Qt.Key_Backtab):
            self._move_field(-1)
        elif key == Qt.Key_Space:
            self.player.toggle()
        elif key == Qt.Key_Left:
            self.player.seek(-SEEK_MS)
        elif key == Qt.Key_Right:
            self.player.seek(SEEK_MS)
        elif key in (Qt.Key_Return, Qt.Key_Enter):
            self.save_and_next()
        elif key == Qt.Key_PageDown:
            self.show_call(self.index + 1)
        elif key == Qt.Key_PageUp:
            self.show_call(self.index - 1)
        elif key == Qt.Key_Escape:
            self.close()
        else:
            return False
        return True

    def _move_field(self, step: int) -> None:
        self.current_field = max(0, min(self.current_field + step, len(self.rows) - 1))
        self._mark_current()

    # ----- saving -------------------------------------------------------------------------------
    def answers(self) -> dict:
        return {row.field.key: row.value() for row in self.rows}

    def save_and_next(self) -> bool:
        if self.browsing:                              # browsing: Enter is "next call"
            self.show_call(self.index + 1)
            return False
        answers = self.answers()
        missing = self.form.missing(answers)
        if missing:
            names = ", ".join(self.form.field(k).label(self.lang) for k in missing)
            self.status.setText(self.texts["still_to_answer"].format(fields=names))
            self.current_field = next(n for n, r in enumerate(self.rows) if r.field.key == missing[0])
            self._mark_current()
            return False
        item = self.calls[self.index]
        try:
            clean = self.form.check_answers(answers)
        except FormError as exc:
            self.status.setText(str(exc))
            return False
        self.worker.save(self, item, self.form, self.reviewer_id, clean, self.now(), self._saved,
                         lambda exc, c=item.call_id: self._save_failed(c, str(exc)))
        self.saving[item.call_id] = clean
        self.unsaved.pop(item.call_id, None)
        self.reviews[item.call_id] = {"answers": clean}
        self.player.stop()
        unreviewed = [n for n, c in enumerate(self.calls) if c.call_id not in self.reviews]
        if not unreviewed:
            self._update_progress()
            self.status.setText(self.texts["saving"])
            return True
        after = [n for n in unreviewed if n > self.index]
        self.show_call(after[0] if after else unreviewed[0])
        self.status.setText(self.texts["saving"])
        return True

    # ----- the worker's answers (on this thread, while the window exists) -----------------------
    def _saved(self, answer: tuple) -> None:
        call_id, _review_id, on_disk = answer
        if self.saving.get(call_id) == on_disk.get(call_id, {}).get("answers"):
            self.saving.pop(call_id)
        self.reviews = {**on_disk, **{c: {"answers": a} for c, a in self.saving.items()}}
        self._update_progress()
        done = all(c.call_id in on_disk for c in self.calls)
        self.status.setText(self.texts["saved"] + (" " + self.texts["all_done"] if done else ""))
        self.review_saved.emit(call_id)

    def _save_failed(self, call_id: str, error: str) -> None:
        answers = self.saving.pop(call_id, None)
        if answers is not None:
            self.unsaved[call_id] = answers
        if "id" not in self.reviews.get(call_id, {}):      # (a row read back from disk has its id: kept)
            self.reviews.pop(call_id, None)
        self._update_progress()
        self.status.setText(self.texts["save_failed"].format(call=call_id[:8], error=error))
        self.review_not_saved.emit(call_id)

    def _recording_found(self, answer: tuple) -> None:
        call_id, found = answer
        if self.calls and self.calls[self.index].call_id == call_id:   # else the reviewer has moved on
            self.player.load(found)
            self.recording_shown.emit(call_id)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.player.stop()           # saves handed over still finish, in their threads' own time
        super().closeEvent(event)


def _finder(source: RecordingSource, cache_dir: Path, utc_offset_minutes: int, download):
    """The recording look-up the worker runs for a call (holds nothing of the window)."""
    return lambda call: find_recording(source, call, cache_dir, utc_offset_minutes, download)

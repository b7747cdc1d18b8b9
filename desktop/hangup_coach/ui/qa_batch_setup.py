"""A new review batch: the seed's three questions before any call is heard.

1. Why are we listening (find problems, or find good techniques)?
2. Which calls (period, agents, caller class and sub-reason, hang-up outcomes), how many, and the seed that makes the draw
   reproducible?
3. How are the results recorded (the form, agreed in advance)?

Opened empty from the QA menu, or filled in from the dashboard (an agent's calls behind a
figure: that agent, the dashboard's period, the figure's outcome), where the calls that match
are listed first. The window only gathers the answers; `create` (the wiring) draws the batch on
the server and keeps it on this PC, off the GUI thread (app/off_thread.py); `drawn` then tells the
wiring, which opens the review window on it.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDateEdit, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QPushButton, QRadioButton, QSpinBox, QVBoxLayout,
                               QWidget)

from ..app.off_thread import run_off_thread
from ..core.callers import SUB_REASONS
from ..core.qa_form import Form
from ..core.qa_sample import OUTCOMES


class BatchSetup(QWidget):
    drawn = Signal(str, int)              # the new batch's id and its number of calls
    not_drawn = Signal(str)               # why not (said in the status line too)

    def __init__(self, texts: dict[str, str], lang: str, forms: list[Form],
                 create: Callable[[dict], tuple[str, int]], today: date, since: date | None = None, until: date | None = None,
                 agents: tuple[str, ...] = (), outcomes: tuple[str, ...] = (), calls: list[str] | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.t, self.forms, self.create = texts, forms, create
        self.setWindowTitle(texts["setup_title"])
        self.resize(640, 620)

        purpose = QGroupBox(texts["setup_purpose"])
        row = QHBoxLayout(purpose)
        self.purpose = QButtonGroup(self)
        for key in ("problems", "techniques"):
            button = QRadioButton(texts[f"purpose_{key}"])
            button.setProperty("key", key)
            self.purpose.addButton(button)
            row.addWidget(button)
        self.purpose.buttons()[0].setChecked(True)
        row.addStretch(1)

        which = QGroupBox(texts["setup_calls"])
        form = QFormLayout(which)
        self.since = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.until = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.since.setDate(QDate(since or today - timedelta(days=30)))
        self.until.setDate(QDate(until or today))
        period = QHBoxLayout()
        period.addWidget(self.since)
        period.addWidget(QLabel("–"))
        period.addWidget(self.until)
        period.addStretch(1)
        form.addRow(texts["setup_since"], period)
        self.agents = QLineEdit(", ".join(agents))
        form.addRow(QLabel(texts["setup_agents"], wordWrap=True), self.agents)
        self.caller_class = QComboBox()   # a class, or a class and one of its sub-reasons
        self.caller_class.addItem(texts["setup_any_class"], None)
        for caller_class, subs in SUB_REASONS.items():
            name = texts[f"class_{caller_class.value}"]
            self.caller_class.addItem(name, (caller_class.value, ""))
            for sub in subs:
                if sub.value:
                    self.caller_class.addItem(f"{name} · {texts['reason_' + sub.value]}", (caller_class.value, sub.value))
        form.addRow(texts["caller_class"], self.caller_class)
        outcome_box = QVBoxLayout()
        self.outcomes: dict[str, QCheckBox] = {}
        for key in OUTCOMES:
            box = QCheckBox(texts[f"outcome_{key}"])
            box.setChecked(not outcomes or key in outcomes)
            self.outcomes[key] = box
            outcome_box.addWidget(box)
        form.addRow(texts["setup_outcomes"], outcome_box)
        self.size = QSpinBox(minimum=1, maximum=1000, value=min(20, len(calls)) if calls else 20)
        form.addRow(texts["setup_size"], self.size)
        self.seed = QLineEdit(secrets.token_hex(4))
        form.addRow(texts["setup_seed"], self.seed)
        self.calls = calls
        self.call_list = QListWidget()
        self.call_list.setVisible(calls is not None)
        self.call_list.addItems(calls or [])
        self.call_list.setMaximumHeight(100)

        result = QGroupBox(texts["setup_result"])
        rf = QFormLayout(result)
        self.form = QComboBox()
        for f in forms:
            self.form.addItem(f"{f.title(lang)} (v{f.version})", f.name)
        rf.addRow(texts["setup_form"], self.form)

        self.button = QPushButton(texts["setup_create"])
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)
        self.status = QLabel(wordWrap=True)
        layout = QVBoxLayout(self)
        for part in (purpose, which, self.call_list, result):
            layout.addWidget(part)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.button)
        layout.addLayout(bottom)

    def body(self) -> dict:
        """The batch request (server/domain/qa.py) these answers make."""
        first = datetime.combine(self.since.date().toPython(), time(), timezone.utc)
        last = datetime.combine(self.until.date().toPython() + timedelta(days=1), time(), timezone.utc)
        filters: dict = {"since": first.isoformat(), "until": last.isoformat()}
        agents = [a.strip() for a in self.agents.text().replace("，", ",").split(",") if a.strip()]
        if agents:
            filters["agents"] = agents
        if self.caller_class.currentData():
            caller_class, sub = self.caller_class.currentData()
            filters["classes"] = [caller_class]
            if sub:
                filters["sub_reasons"] = [sub]
        chosen = [k for k, box in self.outcomes.items() if box.isChecked()]
        if len(chosen) < len(OUTCOMES):
            filters["outcomes"] = chosen
        if self.calls is not None:
            filters["call_ids"] = list(self.calls)
        form = next(f for f in self.forms if f.name == self.form.currentData())
        return {"purpose": self.purpose.checkedButton().property("key"), "filters": filters,
                "size": self.size.value(), "seed": self.seed.text().strip() or secrets.token_hex(4),
                "form": {"name": form.name, "version": form.version, "source": form.source}}

    def submit(self) -> None:
        body, create = self.body(), self.create
        self.button.setEnabled(False)
        self.status.setText(self.t["setup_drawing"])
        run_off_thread(self, lambda: create(body), self._drawn, self._failed, name="qa-batch-draw")

    def _drawn(self, answer: tuple[str, int]) -> None:
        batch_id, count = answer
        self.button.setEnabled(True)
        self.status.setText(self.t["setup_drawn"].format(batch=batch_id[:8], count=count))
        self.drawn.emit(batch_id, count)

    def _failed(self, exc: Exception) -> None:   # the server's or network's words, shown; nothing is lost
        self.button.setEnabled(True)
        self.status.setText(self.t["setup_failed"].format(error=exc))
        self.not_drawn.emit(str(exc))

"""Fixtures that start real baresip and sipp processes and the real app stack (controller, card, SQLite).

A missing binary fails the test (CI installs both); every process is killed at teardown, pass or fail.
"""

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.telephony.factory import softphone_from_url
from hangup_coach.ui.card import CoachCard
from sip_harness import Baresip, MissingTool, Sipp


@pytest.fixture
def start_baresip(tmp_path):
    started: list[Baresip] = []

    def start(answermode: str = "auto") -> Baresip:
        try:
            baresip = Baresip(tmp_path / f"baresip-{len(started)}", answermode)
        except MissingTool as exc:
            pytest.fail(str(exc))
        started.append(baresip)
        baresip.start()
        return baresip

    yield start
    for baresip in started:
        baresip.kill()


@pytest.fixture
def start_sipp(tmp_path):
    started: list[Sipp] = []

    def start(baresip: Baresip, scenario: str, numbers: list[str], **kw) -> Sipp:
        try:
            sipp = Sipp(tmp_path / f"sipp-{len(started)}", baresip, scenario, numbers, **kw)
        except MissingTool as exc:
            pytest.fail(str(exc))
        started.append(sipp)
        return sipp.start()

    yield start
    for sipp in started:
        sipp.kill()


@dataclass
class Desk:
    """What an agent's desk runs: softphone adapter → controller → card, over a real SQLite file."""

    controller: Controller
    card: CoachCard
    db_path: Path
    statuses: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    @property
    def softphone(self):
        return self.controller.softphone

    def rows(self, sql: str = "SELECT * FROM calls ORDER BY started_at", params=()) -> list[dict]:
        self.controller.wait_saved(5)   # the store worker writes off the GUI thread
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()


@pytest.fixture
def open_desk(qtbot, tmp_path):
    made: list[Desk] = []

    def open_(url: str, wait_online: bool = True) -> Desk:
        db_path = tmp_path / "calls.db"
        softphone = softphone_from_url(url)
        controller = Controller(CallStore(open_db(db_path)), load_policy(), load_scripts("en"), SystemClock(),
                                QtScheduler(), Fill(agent_id="1024"), softphone=softphone)
        card = CoachCard(controller, load_texts("en"))
        qtbot.addWidget(card)
        card.show()
        desk = Desk(controller, card, db_path)
        softphone.status_changed.connect(lambda state, detail: desk.statuses.append((state, detail)))
        softphone.command_failed.connect(lambda cmd, why: desk.failures.append((cmd, why)))
        made.append(desk)
        softphone.start()
        if wait_online:
            qtbot.waitUntil(lambda: softphone.state == "online", timeout=5000)
        return desk

    yield open_
    for desk in made:
        desk.softphone.stop()

import dataclasses
import os
from pathlib import Path

import pytest

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.telephony.simulator import SimulatedLine
from hangup_coach.ui.card import CoachCard

# One 1280x800 screen for the offscreen platform (its default is 800x800): the laptop size the
# card must fit (tests/ui/test_fit.py). Set before pytest-qt creates the session's QApplication.
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('screen_1280x800.json')}"


@pytest.fixture
def make_card(qtbot, tmp_path):
    """A real card over a real store; the grace wait is shortened through the policy (it is data)."""

    def make(lang="en", softphone=True, scale=1.0, grace=0.2):
        path = tmp_path / f"calls-{lang}-{softphone}-{scale}.db"
        store = CallStore(open_db(path))   # the test's own connection: it reads what the card committed
        own = CallStore(open_db(path))     # the card's, owned by its store worker thread
        policy = dataclasses.replace(load_policy(), grace_seconds=grace)
        line = SimulatedLine() if softphone else None
        controller = Controller(own, policy, load_scripts(lang), SystemClock(), QtScheduler(), Fill("1024", "9:00–17:00"), line)
        card = CoachCard(controller, load_texts(lang), scale)
        qtbot.addWidget(card)
        card.show()
        if line:
            line.start()
        return card, controller, line, store

    return make

"""End to end: the centre's case facts, imported on the server, reach an agent's card with one pull,
and the card classifies the number by them (core/classify.py: calling again after the complaint's
final result is non-regular)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from hangup_coach.core.callers import CallerClass, SubReason

from .agents import NUMBER, take_call


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    return request.getfixturevalue("postgres").new_database()


def test_an_imported_closed_case_makes_the_next_call_non_regular_after_one_pull(qtbot, server, agents, card_for,
                                                                             tmp_path):
    alice = agents("1024")
    card, controller = card_for(alice)
    check_the_case_reaches_the_card(qtbot, server, alice, card, controller, tmp_path)


def check_the_case_reaches_the_card(qtbot, server, alice, card, controller, tmp_path):
    first = take_call(qtbot, card, controller)        # the card knows of no case yet
    assert first.caller_class is CallerClass.REGULAR
    assert controller.wait_saved()
    assert alice.sync().returncode == 0               # that call is pushed: it came after the result

    closed = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cases = tmp_path / "cases.csv"
    cases.write_text(f"number,case_id,closed_at,branch_only\n{NUMBER},TS-2026-118,{closed},否\n", encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "hangup_coach", "server", "import-cases", "--database",
                               server.database, str(cases)], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "server-home")))
    assert imported.returncode == 0, imported.stderr

    pulled = alice.sync()                              # one pull
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled 1 caller profile(s)" in pulled.stdout
    [profile] = alice.store.db.query("SELECT * FROM caller_profiles")
    assert profile["case_id"] == "TS-2026-118"

    second = take_call(qtbot, card, controller)
    assert second.caller_class is CallerClass.NON_REGULAR
    assert second.sub_reason is SubReason.CLOSED_CASE
    assert second.record.class_reason_key == "closed_case_repeat"
    assert "TS-2026-118" in second.record.class_reason

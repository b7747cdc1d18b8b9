"""The batch set-up (three questions before listening) and the dashboard's way to an agent's calls."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

from PySide6.QtCore import Qt

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.core.coach import CallRecord
from hangup_coach.launch.qa import calls_behind_figure
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.ui.qa_batch_setup import BatchSetup


def test_the_setup_asks_the_three_questions_and_sends_them_off_the_gui_thread(qtbot):
    sent, server_answers = [], threading.Event()

    def create(body):                            # the server's draw: slow, on the set-up's thread
        sent.append(body)
        assert server_answers.wait(30)
        return "b" * 36, 7

    window = BatchSetup(load_qa_texts("en"), "en", [load_form("standard")], create, date(2026, 12, 3),
                        agents=("1001",), outcomes=("agent_before_allowed",), calls=["c1", "c2"])
    qtbot.addWidget(window)
    window.show()
    window.purpose.buttons()[1].click()          # find good techniques
    window.size.setValue(2)
    window.seed.setText("42")
    window.caller_class.setCurrentIndex(window.caller_class.findText("Non-regular · must visit a branch"))
    qtbot.mouseClick(window.button, Qt.LeftButton)          # returns while the server is still drawing
    qtbot.waitUntil(lambda: bool(sent))
    assert window.status.text() == "Drawing the batch on the server…" and not window.button.isEnabled()
    with qtbot.waitSignal(window.drawn, timeout=30_000) as drawn:
        server_answers.set()
    assert drawn.args == ["b" * 36, 7] and window.button.isEnabled()
    [body] = sent
    assert body["purpose"] == "techniques" and body["size"] == 2 and body["seed"] == "42"
    assert body["filters"]["agents"] == ["1001"] and body["filters"]["outcomes"] == ["agent_before_allowed"]
    assert body["filters"]["call_ids"] == ["c1", "c2"]
    assert body["filters"]["classes"] == ["non_regular"] and body["filters"]["sub_reasons"] == ["must_visit_branch"]
    assert body["filters"]["since"] == "2026-11-03T00:00:00+00:00" and body["filters"]["until"] == "2026-12-04T00:00:00+00:00"
    assert body["form"]["name"] == "standard" and "[[fields]]" in body["form"]["source"]
    assert "7 calls drawn" in window.status.text()


def test_the_dashboard_opens_an_agents_early_hang_ups(tmp_path):
    store = CallStore(open_db(tmp_path / "lead.db"))
    start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    for n, early in enumerate((True, False, True)):
        t = start + timedelta(hours=n)
        store.save_call(CallRecord(id=f"c{n}", agent_id="1001", caller_number="+8613800138000", caller_raw="", line_call_id=None,
                                   started_at=t, answered_at=t, ended_at=t + timedelta(minutes=2), ended_by="agent",
                                   caller_class="regular", agent_ended_early=early, updated_at=t))
    store.save_call(CallRecord(id="other", agent_id="1002", caller_number=None, caller_raw="", line_call_id=None, started_at=start,
                               answered_at=start, ended_at=start, ended_by="agent", caller_class="regular",
                               agent_ended_early=True, updated_at=start))
    store.db.conn.close()
    assert calls_behind_figure(tmp_path / "lead.db", "1001", date(2026, 11, 1), date(2026, 11, 30)) == ["c0", "c2"]
    assert calls_behind_figure(tmp_path / "lead.db", "1001", date(2026, 11, 21), date(2026, 11, 30)) == []

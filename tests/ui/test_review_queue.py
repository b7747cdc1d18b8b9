"""The lead's review queue window against a real server (issue 17): the queue as the server has
it, steps taken by keyboard, and the server's refusals (four-eyes) shown in words."""

from datetime import datetime, timezone

import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.blocklist_remote import BlocklistRemote
from hangup_coach.app.blocklist_server import BlocklistServer
from hangup_coach.app.paths import AppPaths
from hangup_coach.app.resources import load_scripts, load_texts
from hangup_coach.sync.credentials import Credentials
from hangup_coach.ui.review_queue import ReviewQueueWindow
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import block_proposal, call


@pytest.fixture
def lead_window(qtbot, tmp_path, monkeypatch):
    database = str(tmp_path / "server.db")
    with ServerProcess(database) as server:
        agent = Device(server, *add_device(database, "1001"))
        lead_token = add_device(database, "2001", "lead")[1]
        monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "lead-home"))
        paths = AppPaths.detect()
        Credentials(paths.config, use_keyring=False).save(server.url, lead_token)

        def open_window(lang="en"):
            remote = BlocklistRemote(lambda: BlocklistServer(paths))
            window = ReviewQueueWindow(remote, load_texts(lang), load_scripts(lang).label)
            qtbot.addWidget(window)
            window.show()
            return window
        yield agent, open_window
        agent.close()


def rows(window):
    return [window.tree.topLevelItem(i) for i in range(window.tree.topLevelItemCount())]


def test_the_queue_shows_proposals_with_evidence_and_is_worked_by_keyboard(qtbot, lead_window):
    agent, open_window = lead_window
    evidence = call("1001", "+8613800138000", caller_class="no_value", sub_reason="abuse", warnings=1,
                    disposition="warned_and_ended")
    assert agent.push([evidence, block_proposal(agent_id="1001", scope="week", reason="abuse",
                                                call_id=evidence["id"])]).status_code == 200
    window = open_window()
    window.reload()
    qtbot.waitUntil(lambda: bool(window._blocks), timeout=10_000)
    [(part, block)] = window._blocks.values()
    assert part == "proposals"
    texts = [[item.text(c) for c in range(6)] for item in rows(window)]
    assert texts[0][0] == "Proposals waiting for a decision (1)"
    assert texts[1][:4] == ["138****8000", "for a week", "abuse", "1001"] and texts[1][4] == "1"
    assert window.evidence.topLevelItemCount() == 1
    assert window.evidence.topLevelItem(0).text(2) == "No-value call"
    assert window.buttons["approve"].isEnabled() and not window.buttons["activate"].isEnabled()

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.tree, Qt.Key_A, Qt.AltModifier)                 # &Approve
    qtbot.waitUntil(lambda: [p for p, _ in window._blocks.values()] == ["to_activate"], timeout=10_000)
    assert "now approved" in window.status.text()

    qtbot.keyClick(window.tree, Qt.Key_T, Qt.AltModifier)                 # Ac&tivate: the same lead
    qtbot.waitUntil(lambda: "Not done" in window.status.text(), timeout=10_000)
    assert "four-eyes" in window.status.text()
    assert [p for p, _ in window._blocks.values()] == ["to_activate"]     # nothing changed on the server


def test_the_window_speaks_chinese_and_says_when_nothing_waits(qtbot, lead_window):
    _agent, open_window = lead_window
    window = open_window("zh_CN")
    window.reload()
    qtbot.waitUntil(lambda: window.status.text() == "没有待审核的屏蔽", timeout=10_000)
    assert window.windowTitle() == "挂机助手 · 来电屏蔽审核队列"
    assert [item.text(0) for item in rows(window)][0] == "待决定的屏蔽提议 (0)"

"""The lead's review queue window against a real server (issue 17): the queue as the server has
it, steps taken by keyboard, and the server's refusals (four-eyes) shown in words."""

from datetime import datetime, timezone

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt

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

        windows = []

        def open_window(lang="en"):
            remote = BlocklistRemote(lambda: BlocklistServer(paths))
            window = ReviewQueueWindow(remote, load_texts(lang), load_scripts(lang).label)
            remote.setParent(window)               # deleted with the window, not by Python's GC
            windows.append(window)
            window.show()
            return window
        open_window.server = server
        yield agent, open_window
        agent.close()
        for window in windows:                     # Qt deletes them now, not the GC at a random moment
            window.close()
            window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


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


def answer_the_reason_dialog(qtbot, text):
    """Fill in and accept the modal reason dialog the window opens (QInputDialog runs its own loop)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    def fill():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(50, fill)
            return
        dialog.setTextValue(text)
        dialog.accept()
    QTimer.singleShot(50, fill)


def test_a_number_is_looked_up_and_its_active_block_lifted_with_a_reason_before_any_review(qtbot, lead_window):
    agent, open_window = lead_window
    server = open_window.server
    lead2, lead3 = (Device(server, *add_device(server.database, a, "lead")) for a in ("2002", "2003"))
    try:
        evidence = call("1001", "+8613800138000", caller_class="no_value", sub_reason="abuse", warnings=1)
        proposal = block_proposal(agent_id="1001", scope="week", reason="abuse", call_id=evidence["id"])
        assert agent.push([evidence, proposal]).status_code == 200
        for who, action, version in ((lead2, "approve", 1), (lead3, "activate", 2)):
            assert who.http.post(f"/v1/blocklist/{proposal['id']}/{action}",
                                 json={"expected_version": version}).status_code == 200
        window = open_window()
        window.reload()
        qtbot.waitUntil(lambda: window.status.text() == "Nothing waits for review", timeout=10_000)   # not due
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        qtbot.keyClick(window.tree, Qt.Key_F, Qt.ControlModifier)
        assert window.find_field.hasFocus()
        qtbot.keyClicks(window.find_field, "138 0013 8000")
        qtbot.keyClick(window.find_field, Qt.Key_Return)
        qtbot.waitUntil(lambda: [p for p, _ in window._blocks.values()] == ["found"], timeout=10_000)
        assert rows(window)[0].text(0) == "Active blocks of 138****8000 (1)"
        assert window.evidence.topLevelItemCount() == 1
        assert "approved by 2002 · activated by 2003" in window.evidence_title.text()
        assert window.buttons["revoke"].isEnabled() and not window.buttons["review"].isEnabled()

        answer_the_reason_dialog(qtbot, "customer called the hotline, a real account holder")
        qtbot.keyClick(window.tree, Qt.Key_V, Qt.AltModifier)                 # Re&voke…
        qtbot.waitUntil(lambda: rows(window)[0].text(0) == "Active blocks of 138****8000 (0)", timeout=10_000)
        assert "now revoked" in window.status.text()
        trail = lead2.get(f"/v1/blocklist/{proposal['id']}").json()
        assert trail["block"]["status"] == "revoked"
        assert (trail["audit"][-1]["action"], trail["audit"][-1]["actor"], trail["audit"][-1]["note"]) == (
            "revoke", "2001", "customer called the hotline, a real account holder")
    finally:
        lead2.close()
        lead3.close()


def test_a_lookup_that_is_not_a_number_is_said_so_and_asks_nothing(qtbot, lead_window):
    _agent, open_window = lead_window
    window = open_window("zh_CN")
    window.find_field.setText("abc")
    window.find()
    assert window.status.text() == "“abc”不是电话号码"
    assert window._lookup is None

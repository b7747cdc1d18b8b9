"""The card clicked through for a call of each class, as an agent would."""

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from hangup_coach.core.callers import CallerClass, EndedBy, SubReason
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import CallEvent, EventKind
from hangup_coach.store.calls import NOTE_LIMIT
from hangup_coach.ui.card import SHORTCUTS


def ring_and_answer(qtbot, card, line, call_id, number):
    line.ring(call_id, number)
    assert card.buttons["answer"].isVisible()
    qtbot.mouseClick(card.buttons["answer"], Qt.LeftButton)
    assert card.controller.current.phase is Phase.TALKING


def test_regular_call_waits_then_offers_the_closing_line(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    assert card.number.text() == "138****8000"
    assert "Regular" in card.badge.text()
    assert not card.line.isVisible()

    qtbot.mouseClick(card.buttons["closure"], Qt.LeftButton)
    assert card.grace_bar.isVisible() and card.buttons["cancel_closure"].isVisible()
    qtbot.waitUntil(lambda: card.line.isVisible(), timeout=3000)
    assert "agent 1024" in card.line.text()          # placeholder filled from settings
    assert card.line_title.text() == card.t["may_hang_up"]

    qtbot.mouseClick(card.buttons["copy"], Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == card.line.text()
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.wrapup.isVisible()
    assert card.ended_by.currentData() == "agent"
    assert card.disposition.currentData() == "resolved"
    qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)

    assert controller.wait_saved()   # the store worker has written it
    row = store.list_calls()[0]
    assert row["ended_by"] == "agent" and row["disposition"] == "resolved"
    assert row["hangup_prompted_at"] < row["ended_at"]
    assert row["agent_ended_early"] == 0
    assert card.idle.isVisible()


def test_customer_hanging_up_during_the_wait_is_recorded(qtbot, make_card):
    card, controller, line, store = make_card(grace=5.0)
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    qtbot.mouseClick(card.buttons["closure"], Qt.LeftButton)
    line.customer_hangs_up("c1")
    assert card.grace_label.text() == card.t["customer_left_in_grace"]
    assert controller.wait_saved()   # the store worker has written it
    row = store.list_calls()[0]
    assert row["ended_by"] == "customer" and row["customer_hung_up_in_grace"] == 1


def test_no_value_caller_warned_then_ended(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13700007777")
    menu_labels = [a.text() for a in card.reclass_menu.actions()]
    abuse = next(a for a in card.reclass_menu.actions() if a.text().endswith("abuse"))
    assert len(menu_labels) == 6
    abuse.trigger()
    assert "No-value" in card.badge.text() and "abuse" in card.badge.text()
    assert card.warnings.isVisible() and card.warnings.text().endswith("0 / 1")
    assert card.line.text().startswith("Please keep the conversation civil")   # the warning line
    assert card.line_title.text() == card.t["say_this"]

    qtbot.mouseClick(card.buttons["warn"], Qt.LeftButton)
    assert card.warnings.text().endswith("1 / 1")
    assert card.line_title.text() == card.t["may_hang_up"]
    assert "abusive language has continued" in card.line.text()
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.disposition.currentData() == "warned_and_ended"
    assert controller.wait_saved()   # the store worker has written it
    row = store.list_calls()[0]
    assert (row["caller_class"], row["sub_reason"], row["class_source"]) == ("no_value", "abuse", "agent")
    assert row["warnings"] == 1 and row["agent_ended_early"] == 0


def test_non_regular_caller_after_three_explanations(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13600001111")
    controller.current.reclassify(CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, "")
    for expected in ("1 / 3", "2 / 3"):
        qtbot.mouseClick(card.buttons["explain"], Qt.LeftButton)
        assert card.explanations.text().endswith(expected)
        assert not card.line.isVisible()
    qtbot.mouseClick(card.buttons["explain"], Qt.LeftButton)
    assert card.line.isVisible() and "9:00–17:00" in card.line.text()   # branch hours filled in
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert controller.wait_saved()   # the store worker has written it
    assert store.list_calls()[0]["explanations"] == 3


def test_withheld_number_is_unknown_and_never_crashes(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "anonymous")
    assert "Unknown" in card.badge.text()
    assert card.number.text() == "—"
    assert card.reason.text() == "Number withheld or unreadable"


def test_agent_hanging_up_before_the_policy_allows_is_flagged(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.flag.isVisible() and card.flag.text() == card.t["early_flag"]
    assert controller.wait_saved()   # the store worker has written it
    assert store.list_calls()[0]["agent_ended_early"] == 1


def test_unknown_ender_is_asked_in_the_wrapup(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    line.event.emit(CallEvent(EventKind.ENDED, "c1", None, EndedBy.UNKNOWN, "Request timeout"))
    assert card.ended_by_label.text() == card.t["ended_by_ask"]
    card.ended_by.setCurrentIndex(card.ended_by.findData("customer"))
    qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)
    assert controller.wait_saved()   # the store worker has written it
    row = store.list_calls()[0]
    assert row["ended_by"] == "customer" and row["close_reason"] == "Request timeout"


def test_manual_mode_start_and_end_by_hand(qtbot, make_card):
    card, controller, line, store = make_card(softphone=False)
    assert card.manual_hint.isVisible()
    qtbot.keyClicks(card.number_input, "138 0013 8000")
    qtbot.mouseClick(card.start_button, Qt.LeftButton)
    assert controller.current.phase is Phase.TALKING
    assert card.buttons["hang_up"].text() == card.t["i_hung_up"]
    qtbot.mouseClick(card.buttons["customer_hung_up"], Qt.LeftButton)
    assert controller.wait_saved()   # the store worker has written it
    row = store.list_calls()[0]
    assert row["caller_number"] == "+8613800138000" and row["ended_by"] == "customer"


def test_note_is_saved_while_typing(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    call_id = controller.current.record.id
    qtbot.mouseClick(card.note.viewport(), Qt.LeftButton)
    qtbot.keyClicks(card.note, "bill: ")       # QTest types ASCII only;
    card.note.insertPlainText("客户查询话费")    # Chinese arrives as an input method commits it
    qtbot.waitUntil(lambda: store.note(call_id) == "bill: 客户查询话费", timeout=2000)
    qtbot.waitUntil(lambda: card.note_state.text().startswith(card.t["note_saved"]), timeout=2000)   # told once stored


def test_pasting_a_megabyte_into_the_note_is_cut_with_a_clear_message(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    call_id = controller.current.record.id
    card.note.setPlainText("short note ")
    QGuiApplication.clipboard().setText("x" * 1_000_000)
    card.note.moveCursor(card.note.textCursor().MoveOperation.End)
    card.note.paste()
    card.flush_note()
    assert len(card.note.toPlainText()) == NOTE_LIMIT
    assert f"{1_000_000 - (NOTE_LIMIT - 11)}" in card.note_state.text()   # says how much was left out
    assert controller.wait_saved()   # the store worker has written it
    assert store.note(call_id) == card.note.toPlainText()                    # what is shown is saved


def test_card_window_stays_on_top_and_leaves_focus_alone(make_card):
    card, *_ = make_card()
    flags = card.windowFlags()
    for flag in (Qt.WindowStaysOnTopHint, Qt.FramelessWindowHint, Qt.Tool, Qt.WindowDoesNotAcceptFocus):
        assert flags & flag
    assert card.testAttribute(Qt.WA_ShowWithoutActivating)
    assert all(b.focusPolicy() == Qt.NoFocus for b in card.buttons.values())


def test_every_action_has_a_keyboard_shortcut(qtbot, make_card):
    card, controller, line, store = make_card()
    keys = {a.shortcut().toString() for a in card.actions()}
    assert {k for k, _ in SHORTCUTS.values()} <= keys
    ring_and_answer(qtbot, card, line, "c1", "13912345678")
    card.reclassify(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)   # explanations apply to these callers
    explain = next(a for a in card.actions() if a.shortcut().toString() == SHORTCUTS["explain"][0])
    explain.trigger()
    assert controller.current.record.explanations == 1


@pytest.mark.parametrize("lang, scale", [("zh_CN", 1.0), ("zh_CN", 2.0), ("en", 1.0), ("en", 2.0)])
def test_card_scales_and_nothing_is_cut_off(qtbot, make_card, lang, scale):
    card, controller, line, store = make_card(lang=lang, scale=scale)
    ring_and_answer(qtbot, card, line, "c1", "13700007777")
    card.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE)
    qtbot.mouseClick(card.buttons["warn"], Qt.LeftButton)   # the longest state: both counters and a line
    card.note.setPlainText("x")
    qtbot.wait(50)                                          # let the window system apply the resize
    assert card.width() == round(360 * scale)
    for label in (card.badge, card.number, card.duration, card.warnings, card.explanations):
        assert label.width() >= label.sizeHint().width(), label.text()
    for label in (card.reason, card.line):
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    for button in card.buttons.values():
        if button.isVisible():
            assert button.width() >= button.sizeHint().width(), button.text()
    assert card.height() >= card.layout().totalHeightForWidth(card.width())


def test_open_call_and_note_come_back_after_a_restart(qtbot, make_card, tmp_path):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    card.note.setPlainText("typed before the crash")
    card.flush_note()
    assert controller.wait_saved()   # what the first run handed over is written before the second starts
    from hangup_coach.app.controller import Controller
    again = Controller(store, controller.policy, controller.scripts, controller.clock, controller.coach.scheduler,
                       controller.fill, None)
    assert again.current.record.id == controller.current.record.id
    assert again.current.phase is Phase.TALKING
    assert controller.wait_saved()   # the store worker has written it
    assert store.note(again.current.record.id) == "typed before the crash"


def test_a_failing_disk_is_reported_and_nothing_is_lost(qtbot, make_card, monkeypatch):
    import sqlite3

    card, controller, line, store = make_card()
    written = controller.worker.store   # the connection the store worker writes through
    real_save_call, real_save_note = written.save_call, written.save_note

    def disk_full(*_args):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(written, "save_call", disk_full)
    monkeypatch.setattr(written, "save_note", disk_full)
    with qtbot.waitSignal(controller.store_status, check_params_cb=lambda kind, _d: kind == "disk_full"):
        ring_and_answer(qtbot, card, line, "c1", "13800138000")
    assert card.status.text() == card.t["store_disk_full"]
    card.note.setPlainText("typed while the disk was full")
    card.flush_note()
    qtbot.waitUntil(lambda: card.note_state.text() == card.t["note_unsaved"], timeout=10000)
    assert card.note.toPlainText() == "typed while the disk was full"   # still on screen

    monkeypatch.setattr(written, "save_call", real_save_call)             # space is freed
    monkeypatch.setattr(written, "save_note", real_save_note)
    qtbot.mouseClick(card.buttons["closure"], Qt.LeftButton)             # the next change retries
    assert controller.wait_saved()                                        # retried by itself
    row = store.list_calls()[0]
    assert row["closure_confirmed_at"] and row["answered_at"] and row["note"] == "typed while the disk was full"
    qtbot.waitUntil(lambda: card.note_state.text().startswith(card.t["note_saved"]), timeout=10000)
    # the worker's "ok" is a signal of its own, which may arrive after the note's "saved"
    qtbot.waitUntil(lambda: card.status.text() == card.t["softphone_online"], timeout=10000)

"""Proposing an IVR block from the card on a no-value call, in one menu (issue 17)."""

from PySide6.QtCore import Qt

from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.store import outbox
from test_card import ring_and_answer


def test_a_no_value_call_proposes_a_block_from_the_card_and_it_waits_in_the_outbox(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    assert card.block_button.isHidden()                     # a regular caller: nothing to block
    controller.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE, "")
    assert not card.block_button.isHidden() and card.block_button.isEnabled()

    card.block_button.menu().findChild(type(card.block_button.menu().actions()[0]), "block_week_abuse").trigger()
    qtbot.waitUntil(lambda: "a lead decides" in card.block_button.text(), timeout=3000)
    assert not card.block_button.isEnabled() and "for a week" in card.block_button.text()

    [row] = store.db.query("SELECT * FROM blocklist")
    call_id = controller.current.record.id
    assert (row["number"], row["scope"], row["reason"], row["status"], row["proposed_by"], row["call_id"]) == (
        "+8613800138000", "week", "abuse", "proposed", "1024", call_id)
    assert [(e.kind, e.record_id) for e in outbox.pending(store.db)
            if e.kind == "block_proposal"] == [("block_proposal", row["id"])]

    # still there in the wrap-up, still saying it was proposed; the next caller starts afresh
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.wrapup.isVisible() and not card.block_button.isHidden() and not card.block_button.isEnabled()
    card.finish_wrapup()
    ring_and_answer(qtbot, card, line, "c2", "13900139000")
    controller.reclassify(CallerClass.NO_VALUE, SubReason.HARASSMENT, "")
    assert card.block_button.isEnabled() and card.block_button.text() == card.t["propose_block"]


def test_a_proposed_block_is_said_on_the_next_call_but_does_not_make_it_no_value(qtbot, make_card):
    card, controller, line, store = make_card("zh_CN")
    from datetime import datetime, timezone
    store.propose_block("+8613800138000", "day", "harassment", "1024", None, datetime.now(timezone.utc))
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    assert controller.current.caller_class is CallerClass.REGULAR
    assert "已提议屏蔽该号码，尚未决定" in card.reason.text()

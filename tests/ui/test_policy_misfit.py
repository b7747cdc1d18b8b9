"""The wrap-up's one click "the policy did not fit this call", with a preset reason (issue 18)."""

from PySide6.QtCore import Qt

from test_card import ring_and_answer


def test_the_agent_says_the_policy_did_not_fit_and_the_call_keeps_the_reason(qtbot, make_card):
    card, controller, line, store = make_card()
    ring_and_answer(qtbot, card, line, "c1", "13800138000")
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.wrapup.isVisible() and card.policy_misfit.isVisible()
    [distressed] = [a for a in card.policy_misfit.menu().actions() if a.text() == card.t["misfit_customer_distressed"]]
    distressed.trigger()
    assert card.policy_misfit.reason == "customer_distressed" and card.policy_misfit.text().startswith("✓")
    call_id = controller.current.record.id
    card.finish_wrapup()
    qtbot.waitUntil(lambda: controller.wait_saved(1) and store.get_call(call_id).wrapped_up_at is not None,
                    timeout=5000)
    assert store.get_call(call_id).policy_misfit == "customer_distressed"

    # the next call starts without it
    ring_and_answer(qtbot, card, line, "c2", "13900139000")
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    assert card.policy_misfit.reason is None and card.policy_misfit.text() == card.t["policy_did_not_fit"]
    call_id = controller.current.record.id
    card.finish_wrapup()
    qtbot.waitUntil(lambda: controller.wait_saved(1) and store.get_call(call_id).wrapped_up_at is not None,
                    timeout=5000)
    assert store.get_call(call_id).policy_misfit is None

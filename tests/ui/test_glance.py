"""Signals an agent reads at a glance, and the card's own menu (there may be no tray)."""

import re

from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.ui.style import stylesheet


def luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_small_status_text_meets_4_5_to_1_on_the_card():
    css = stylesheet(1.0)
    background = re.search(r"#card \{ background: (#[0-9a-f]{6})", css).group(1)
    for name in ("status", "noteState", "keysNote"):
        colour = re.search(rf"#{name} \{{ color: (#[0-9a-f]{{6}})", css).group(1)
        assert contrast(colour, background) >= 4.5, name


def test_the_hang_up_button_changes_once_the_policy_allows_it(qtbot, make_card):
    card, controller, line, store = make_card(grace=0.1)
    line.ring("c1", "13800138000")
    card.buttons["answer"].click()
    hang_up = card.buttons["hang_up"]
    assert hang_up.property("allowed") is False and not hang_up.text().startswith("✓")
    assert not card.explanations.isVisible() and not card.buttons["explain"].isVisible()   # regular call
    card.buttons["closure"].click()
    qtbot.waitUntil(lambda: hang_up.property("allowed") is True, timeout=2000)
    assert hang_up.text().startswith("✓")


def test_no_value_after_the_warning_hides_the_closure_button(qtbot, make_card):
    card, controller, line, store = make_card()
    line.ring("c1", "13700007777")
    card.buttons["answer"].click()
    card.reclassify(CallerClass.NO_VALUE, SubReason.HARASSMENT)
    assert card.buttons["closure"].isVisible() and card.warnings.isVisible()
    card.buttons["warn"].click()
    assert not card.buttons["closure"].isVisible() and card.buttons["hang_up"].property("allowed") is True


def test_copied_stays_on_the_copy_button_while_the_note_is_saved(qtbot, make_card):
    card, controller, line, store = make_card(grace=0.05)
    line.ring("c1", "13800138000")
    card.buttons["answer"].click()
    card.buttons["closure"].click()
    qtbot.waitUntil(lambda: card.buttons["copy"].isVisible(), timeout=2000)
    card.buttons["copy"].click()
    card.note.setPlainText("x")
    card.flush_note()
    qtbot.waitUntil(lambda: card.note_state.text().startswith(card.t["note_saved"]), timeout=2000)
    assert card.buttons["copy"].text().startswith(card.t["copied"])   # "saved" did not take its place
    qtbot.waitUntil(lambda: card.buttons["copy"].text() == card.t["copy"], timeout=4000)


def test_the_idle_card_shows_the_number_field_only_in_manual_mode(make_card):
    with_softphone, *_ = make_card(softphone=True)
    manual, *_ = make_card(softphone=False)
    assert not with_softphone.number_input.isVisible() and not with_softphone.manual_hint.isVisible()
    assert manual.number_input.isVisible()


def test_the_card_menu_opens_settings_and_quits(qtbot, make_card):
    card, *_ = make_card(lang="zh_CN")
    texts = [a.text() for a in card.card_menu.actions() if a.text()]
    assert texts == [card.t["settings"], card.t["quit"]]
    with qtbot.waitSignal(card.settings_requested):
        card.card_menu.actions()[0].trigger()
    with qtbot.waitSignal(card.quit_requested):
        card.card_menu.actions()[-1].trigger()

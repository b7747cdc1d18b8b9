"""Focus on click, the logic (the real window-system test is tests/desktop/test_focus.py)."""

from PySide6.QtCore import Qt


class FakeForeground:
    """Records hand-backs; 'the CRM' is window 77."""

    def __init__(self):
        self.activated = []

    def current(self):
        return 77

    def activate(self, window):
        self.activated.append(window)


def test_a_click_in_the_note_viewport_takes_the_keyboard_and_esc_gives_it_back(qtbot, make_card):
    card, controller, line, store = make_card(softphone=False)
    foreground = FakeForeground()
    card.keyboard._foreground = foreground
    controller.start_manual_call("13800138000")
    assert not card.keyboard.has_keyboard            # ringing and talking never take it
    assert card.windowHandle().flags() & Qt.WindowDoesNotAcceptFocus
    qtbot.mouseClick(card.note.viewport(), Qt.LeftButton)
    assert card.keyboard.has_keyboard
    assert not card.windowHandle().flags() & Qt.WindowDoesNotAcceptFocus
    qtbot.waitUntil(lambda: card.note.hasFocus())
    qtbot.keyClick(card.note, Qt.Key_Escape)
    assert not card.keyboard.has_keyboard
    assert card.windowHandle().flags() & Qt.WindowDoesNotAcceptFocus
    assert foreground.activated in ([77], [])         # handed back only if the card was active


def test_the_manual_number_field_takes_the_keyboard_and_starting_the_call_gives_it_back(qtbot, make_card):
    card, controller, *_ = make_card(softphone=False)
    qtbot.mouseClick(card.number_input, Qt.LeftButton)
    assert card.keyboard.has_keyboard
    qtbot.keyClicks(card.number_input, "13800138000")
    qtbot.keyClick(card.number_input, Qt.Key_Return)
    assert controller.current is not None
    assert not card.keyboard.has_keyboard

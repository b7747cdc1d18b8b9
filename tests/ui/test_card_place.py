"""The card stays where the agent put it: pushed up while a call makes it taller, it goes back
down when the call is over; a position off the screen is pulled on."""

from PySide6.QtCore import QPoint


def test_a_card_placed_low_moves_up_for_a_call_and_back_down_after_it(qtbot, make_card):
    card, controller, _line, _store = make_card(softphone=False)
    qtbot.waitUntil(lambda: not card._fit_timer.isActive())
    area = card.screen().availableGeometry()
    home = QPoint(area.right() - card.width() - 20, area.bottom() - card.frameGeometry().height() - 4)
    card.place_at(home)
    assert card.pos() == home

    controller.start_manual_call("13800138000")
    qtbot.waitUntil(lambda: card.height() > 300 and not card._fit_timer.isActive())
    assert card.frameGeometry().bottom() <= area.bottom() and card.pos().y() < home.y()   # pushed up, on screen

    card.hang_up()
    card.finish_wrapup()
    qtbot.waitUntil(lambda: controller.current is None)
    qtbot.waitUntil(lambda: card.pos() == home, timeout=5000)                           # back where it was put


def test_a_drag_sets_the_place_the_card_returns_to(qtbot, make_card):
    card, *_ = make_card(softphone=False)
    card.place_at(QPoint(100, 100))
    card.move(QPoint(5000, 100))                   # e.g. a window manager or a monitor gone
    card.keep_on_screen()
    assert card.pos() == QPoint(100, 100)


def test_the_end_of_the_wait_flashes_the_edge_and_rings_the_bell_unless_switched_off(qtbot, make_card, monkeypatch):
    from PySide6.QtWidgets import QApplication
    rung = []
    monkeypatch.setattr(QApplication, "beep", lambda: rung.append(1))
    card, controller, line, _store = make_card()
    for bell, number in ((True, "L1"), (False, "L2")):
        card.end_of_wait.bell = bell
        line.ring(number, "13800138000")
        controller.answer()
        controller.confirm_closure()
        qtbot.waitUntil(lambda: card.property("flash") is True, timeout=5000)
        qtbot.waitUntil(lambda: not card.property("flash"), timeout=5000)
        controller.hang_up()
        card.finish_wrapup()
        qtbot.waitUntil(lambda: controller.current is None, timeout=5000)
    assert rung == [1]                                               # once: the second time it was off

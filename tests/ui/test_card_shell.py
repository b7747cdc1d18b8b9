"""The card's first frame (ui/card_shell.py), drawn before the policy, scripts, store and the card
itself are loaded, is the finished card's top: where the shell painted, a grab of the finished card
has the same pixels, so the card fills in below it without a jump."""

import pytest
from PySide6.QtCore import QRect

from hangup_coach.app.resources import load_texts
from hangup_coach.ui.card_shell import CardShell


def same_pixels(a, b) -> float:
    """The share of pixels two images of one size have alike."""
    assert a.size() == b.size()
    same = sum(a.pixel(x, y) == b.pixel(x, y) for y in range(a.height()) for x in range(a.width()))
    return same / (a.width() * a.height())


@pytest.mark.parametrize("lang, softphone, scale", [("zh_CN", False, 1.0), ("en", True, 1.0), ("zh_CN", True, 1.5)])
def test_the_shell_paints_what_the_finished_card_shows_there(qtbot, make_card, lang, softphone, scale):
    card, controller, line, _store = make_card(lang=lang, softphone=softphone, scale=scale)
    if line:
        card.set_softphone_status("offline", "")   # as the card is when it replaces the shell: not started yet
    qtbot.waitUntil(lambda: not card._fit_timer.isActive())
    shell = CardShell(load_texts(lang), scale, "offline" if softphone else "manual",
                      tray=card.hide_button.isVisibleTo(card))
    qtbot.addWidget(shell)
    painted_at = shell.show_and_paint()
    assert painted_at is not None and shell.painted_at == painted_at

    assert shell.width() == card.width()
    shown = shell.idle_label.geometry()
    assert shell.idle_label.text() == card.idle_label.text() and shown.height() > 0
    top = QRect(0, 0, shell.width(), shown.bottom() + 1)   # title row, status, "waiting for a call"
    ours, theirs = shell.grab(top).toImage(), card.grab(top).toImage()
    colours = {ours.pixel(x, y) for y in range(0, ours.height(), 2) for x in range(0, ours.width(), 2)}
    assert len(colours) > 10, "a blank frame"   # text and edge drawn, not just the background
    assert same_pixels(ours, theirs) == 1.0, "the card's top differs from its first frame"


def test_the_status_line_takes_the_problem_colour_when_the_line_changes_after_it_is_shown(qtbot):
    """Before the first frame the status is styled as it is first polished; once shown, a change of
    the line's state applies the stylesheet again (the problem colour comes and goes)."""
    from PySide6.QtGui import QColor, QPalette

    from hangup_coach.ui.card_shell import show_line_state

    texts = load_texts("en")
    shell = CardShell(texts, 1.0, "offline", tray=False)
    qtbot.addWidget(shell)
    shell.show_and_paint()
    status = shell.header.status

    def colour() -> str:
        return status.palette().color(QPalette.WindowText).name()

    assert colour() == QColor("#b71c1c").name()        # offline before the first frame: red at once
    show_line_state(status, texts, "online")
    assert colour() != QColor("#b71c1c").name() and status.text() == texts["softphone_online"]
    show_line_state(status, texts, "not_answering")
    assert colour() == QColor("#b71c1c").name()

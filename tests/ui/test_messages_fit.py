"""A message that grows after the card was fitted (the note's "not saved yet", a store problem in the
header) gets its room: the card grows instead of hiding the new line below the scrolled body,
behind a scroll bar. Checked on the card's own picture at 100 % and 200 %, in both languages."""

import os

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor

TEXT_INK = 110   # a glyph's pixels are dark: the label's grey text is #5f6b76 or darker, the card is near white


def settled(qtbot, card):
    qtbot.waitUntil(lambda: not card._fit_timer.isActive(), timeout=5000)
    qtbot.wait(5)   # one more turn: a layout request posted by the fit itself
    qtbot.waitUntil(lambda: not card._fit_timer.isActive(), timeout=5000)


def rect_in_card(card, widget) -> QRect:
    return QRect(widget.mapTo(card, widget.rect().topLeft()), widget.size())


def has_ink(image, rect: QRect) -> bool:
    """Some pixel in rect is as dark as text (the picture is the card's own grab)."""
    for y in range(rect.top(), rect.bottom() + 1):
        for x in range(rect.left(), rect.right() + 1, 2):
            if QColor(image.pixel(x, y)).lightness() < TEXT_INK:
                return True
    return False


def assert_shown_whole(card, label, picture):
    """The label's text fits it, its rect is inside the scroll area's viewport (so on the card) and
    clear of the scroll bar, and its last line is drawn on the card's picture."""
    assert label.isVisible() and label.heightForWidth(label.width()) <= label.height(), label.text()
    viewport = rect_in_card(card, card.scroll.viewport())
    shown = rect_in_card(card, label)
    inside = viewport if card.scroll.isAncestorOf(label) else card.rect()
    assert inside.contains(shown), f"{label.text()!r} at {shown} is not inside {inside}"
    bar = card.scroll.verticalScrollBar()
    assert not (bar.isVisible() and rect_in_card(card, bar).intersects(shown)), "under the scroll bar"
    line = label.fontMetrics().lineSpacing()
    last_line = QRect(shown.left(), shown.bottom() - line + 1, shown.width(), line)
    image = picture.toImage()
    dpr = picture.devicePixelRatio()
    last_line = QRect(round(last_line.left() * dpr), round(last_line.top() * dpr),
                      round(last_line.width() * dpr), round(last_line.height() * dpr))
    assert has_ink(image, last_line), f"the last line of {label.text()!r} is not drawn on the card"


def keep(picture, name):
    shots = os.environ.get("HANGUP_COACH_SCREENSHOTS")   # a folder: keep the picture to look at
    if shots:
        picture.save(os.path.join(shots, f"{name}.png"))


@pytest.mark.parametrize("scale", [1.0, 2.0])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_not_saved_message_and_a_store_problem_are_shown_whole(qtbot, make_card, lang, scale):
    card, controller, line, _store = make_card(lang=lang, scale=scale)
    line.ring("c1", "13800138000")
    controller.answer()
    card.note.setPlainText("客户要求回电 / call back")
    card.flush_note()
    settled(qtbot, card)
    one_line = card.note_state.fontMetrics().lineSpacing()

    # What the store worker reports while the database is locked: the note is kept in the journal.
    controller.note_state.emit(controller.current.record.id, "unsaved")
    assert card.note_state.text() == card.t["note_unsaved"]
    settled(qtbot, card)
    assert card.note_state.height() >= 2 * one_line   # the message wraps: two lines at least
    picture = card.grab()
    keep(picture, f"note-unsaved-{lang}-{round(scale * 100)}pct")
    assert_shown_whole(card, card.note_state, picture)

    # The database cannot be written at all: a long problem in the header and the rescue buttons.
    controller.store_status.emit("memory", "disk I/O error")
    settled(qtbot, card)
    picture = card.grab()
    keep(picture, f"store-memory-{lang}-{round(scale * 100)}pct")
    assert card.rescue.isVisible()
    assert_shown_whole(card, card.status, picture)
    assert_shown_whole(card, card.note_state, picture)

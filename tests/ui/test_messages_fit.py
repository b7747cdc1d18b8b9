"""A message that grows after the card was fitted (the note's "not saved yet", a store problem in the
header) gets its room: the card grows instead of hiding the new line below the scrolled body,
behind a scroll bar. Checked on the card's own picture at 100 % and 200 %, in both languages."""

import os

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor

TEXT_INK = 110   # a glyph's pixels are dark: the label's grey text is #5f6b76 or darker, the card is near white


def rect_in_card(card, widget) -> QRect:
    return QRect(widget.mapTo(card, widget.rect().topLeft()), widget.size())


def has_ink(image, rect: QRect) -> bool:
    """Some pixel in rect is as dark as text (the picture is the card's own grab)."""
    for y in range(rect.top(), rect.bottom() + 1):
        for x in range(rect.left(), rect.right() + 1, 2):
            if QColor(image.pixel(x, y)).lightness() < TEXT_INK:
                return True
    return False


def misplaced(card, label) -> str:
    """Why the label is not shown whole: its text does not fit it, or its rect is not inside the
    scroll area's viewport (the part of the body on show) or the card, or it is under the scroll bar."""
    if not label.isVisible() or label.heightForWidth(label.width()) > label.height():
        return f"{label.text()!r} does not fit its label {label.size()}"
    viewport = rect_in_card(card, card.scroll.viewport())
    shown = rect_in_card(card, label)
    inside = viewport if card.scroll.isAncestorOf(label) else card.rect()
    if not inside.contains(shown):
        return f"{label.text()!r} at {shown} is not inside {inside}"
    bar = card.scroll.verticalScrollBar()
    if bar.isVisible() and rect_in_card(card, bar).intersects(shown):
        return f"{label.text()!r} is under the scroll bar"
    return ""


def wait_shown_whole(qtbot, card, label):
    """The card refits one event-loop turn after a layout asks for room: wait for it (without the
    refit it never happens), then say what is wrong."""
    try:
        qtbot.waitUntil(lambda: not misplaced(card, label), timeout=5000)
    except qtbot.TimeoutError:
        pytest.fail(misplaced(card, label))


def assert_drawn(card, label, picture):
    """The label's last line is drawn on the card's own picture."""
    shown = rect_in_card(card, label)
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
    qtbot.waitUntil(lambda: card.note_state.text().startswith(card.t["note_saved"]), timeout=5000)
    one_line = card.note_state.fontMetrics().lineSpacing()

    # What the store worker reports while the database is locked: the note is kept in the journal.
    controller.note_state.emit(controller.current.record.id, "unsaved")
    assert card.note_state.text() == card.t["note_unsaved"]
    wait_shown_whole(qtbot, card, card.note_state)
    assert card.note_state.height() >= 2 * one_line   # the message wraps: two lines at least
    picture = card.grab()
    keep(picture, f"note-unsaved-{lang}-{round(scale * 100)}pct")
    assert_drawn(card, card.note_state, picture)

    # The database cannot be written at all: a long problem in the header and the rescue buttons.
    controller.store_status.emit("memory", "disk I/O error")
    assert card.rescue.isVisible() and card.status.text() == card.t["store_memory"]
    wait_shown_whole(qtbot, card, card.status)
    wait_shown_whole(qtbot, card, card.note_state)
    picture = card.grab()
    keep(picture, f"store-memory-{lang}-{round(scale * 100)}pct")
    assert_drawn(card, card.status, picture)
    assert_drawn(card, card.note_state, picture)

    # The drive of the database went away: the longest store message, with the rescue buttons.
    controller.store_status.emit("unmounted", "/media/calls is no longer mounted")
    assert card.rescue.isVisible() and card.status.text() == card.t["store_unmounted"]
    wait_shown_whole(qtbot, card, card.status)   # its text fits its label, inside the card
    keep(card.grab(), f"store-unmounted-{lang}-{round(scale * 100)}pct")

"""Outside the card's rounded corners the screen shows what is behind the card, not square corners
of the card's window: at 100 % and 200 %, with a compositor (the window is translucent there) and
without one (the window is cut to its shape). Read from a picture of the whole X screen."""

import subprocess
import sys

import pytest
from PySide6.QtGui import QColor, QImage

from desktop_session import HERE, wait_for
from hangup_coach.ui.style import CARD_BACKGROUND, CARD_EDGE


def screen_picture(desktop, path) -> QImage:
    subprocess.run([sys.executable, str(HERE / "grab_screen.py"), str(path)], env=desktop.env, check=True, timeout=60)
    image = QImage(str(path))
    assert not image.isNull()
    return image


def colour(image, x, y) -> str:
    return QColor(image.pixel(x, y)).name()


@pytest.mark.parametrize("compositor", [False, True], ids=["no-compositor", "xcompmgr"])
@pytest.mark.parametrize("scale", [1, 2], ids=["100pct", "200pct"])
def test_the_screen_shows_through_outside_the_cards_rounded_corners(desktop, crm, start_app, tmp_path, scale, compositor):
    if compositor:
        desktop.start(["xcompmgr"])
        wait_for(lambda: desktop.x_query("compositor") == "yes", what="xcompmgr to composite the screen")
    app = start_app("--lang", "zh_CN", env=dict(desktop.env, QT_SCALE_FACTOR=str(scale)))
    wait_for(lambda: app.state().get("shape") is not None, what="the card's shape")
    assert app.state()["shape"] == ("translucent" if compositor else "mask")
    x, y, w, h = (round(v * scale) for v in app.state()["card"])
    image = screen_picture(desktop, tmp_path / f"card-corners-{scale}-{compositor}.png")

    inset = 6 * scale   # inside the rounded edge, in the card's margin: its background
    corners = {   # corner pixel, a pixel just outside the card beside it, a pixel inside the card
        "top left": ((x, y), (x - 1, y - 1), (x + inset, y + inset)),
        "top right": ((x + w - 1, y), (x + w, y - 1), (x + w - 1 - inset, y + inset)),
        "bottom left": ((x, y + h - 1), (x - 1, y + h), (x + inset, y + h - 1 - inset)),
        "bottom right": ((x + w - 1, y + h - 1), (x + w, y + h), (x + w - 1 - inset, y + h - 1 - inset)),
    }
    for name, (corner, outside, inside) in corners.items():
        assert colour(image, *inside) == CARD_BACKGROUND, f"{name}: no card at {inside}"
        assert colour(image, *corner) == colour(image, *outside) != CARD_BACKGROUND, \
            f"{name}: the corner {corner} is {colour(image, *corner)}, behind the card is {colour(image, *outside)}"
    assert colour(image, x + w // 2, y) == CARD_EDGE   # the straight edge is drawn to the window's edge

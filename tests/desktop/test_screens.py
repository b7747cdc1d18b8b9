"""The card and a screen that changes size, on an X server that can resize (Xvnc) with a window
manager: it stays wholly on screen, and goes back to where the agent put it when there is room."""

import pytest

from desktop_session import wait_for


def inside(rect, width, height):
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= width and y + h <= height


@pytest.mark.x_server("xvnc", "1920x1080x24")
def test_a_smaller_resolution_keeps_the_card_on_screen_and_a_larger_one_gives_its_place_back(desktop, crm, start_app):
    config = desktop.tmp / "home" / "config"
    config.mkdir(parents=True)
    (config / "settings.ini").write_text('[card]\npos="1500,600"\n', encoding="utf-8")   # low right on 1920x1080
    app = start_app()
    wait_for(lambda: app.state()["card"][:2] == [1500, 600], what="the card where the agent put it")

    desktop.resize_screen(1280, 800)
    wait_for(lambda: app.state()["screen"][2:] == [1280, 800], what="Qt to see the new resolution")
    wait_for(lambda: inside(app.state()["card"], 1280, 800), what=f"the card back on screen: {app.state()['card']}")
    assert desktop.active_window() == crm.window, "following the screen took the keyboard"

    desktop.resize_screen(1920, 1080)
    wait_for(lambda: app.state()["card"][:2] == [1500, 600], what=f"the card back in its place: {app.state()['card']}")

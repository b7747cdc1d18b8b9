"""Windows that fit, on a real X server with a window manager: Settings at 200 % on a 1280×800
laptop stays inside the screen with Save in view, and the always-on-top card never covers it."""

from desktop_session import wait_for


def test_settings_at_200_percent_fit_a_1280x800_screen_above_the_card(desktop, crm, start_app):
    app = start_app("--lang", "zh_CN", env=dict(desktop.env, QT_SCALE_FACTOR="2"))
    app.click("menu_button")
    desktop.xdotool("key", "Down")
    desktop.xdotool("key", "Return")
    dialog = wait_for(lambda: app.state()["dialogs"] and app.state()["dialogs"][0], what="the Settings window")
    wait_for(lambda: app.state()["dialogs"][0]["save"], what="Save shown")
    x, y, w, h = wait_for(lambda: (f := desktop.frame(dialog["window_id"])) and f[3] > 100 and f,
                          what="the framed Settings window")
    assert x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 800, (x, y, w, h)     # device pixels
    sx, sy, sw, sh = app.state()["dialogs"][0]["save"]                            # logical pixels (x2)
    fx, fy, fw, fh = app.state()["dialogs"][0]["frame"]
    assert fx <= sx and sx + sw <= fx + fw and fy <= sy and sy + sh <= fy + fh, "Save is outside the window"
    assert sy + sh <= 400, "Save is below the screen's edge"
    order = desktop.stacking()
    card = app.state()["window_id"]
    assert dialog["window_id"] in order and card in order
    assert order.index(dialog["window_id"]) > order.index(card), "the card covers its Settings window"

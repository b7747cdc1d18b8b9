"""Where the card is put, on a real X server with a window manager (1280x800)."""

import subprocess
import sys

from desktop_session import wait_for


def on_screen(rect):
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 800


def test_a_position_saved_on_a_missing_monitor_and_a_second_launch_bring_the_card_back(desktop, crm, start_app):
    config = desktop.tmp / "home" / "config"
    config.mkdir(parents=True)
    (config / "settings.ini").write_text("[card]\npos=\"3000,2000\"\n", encoding="utf-8")   # an undocked monitor
    app = start_app()
    wait_for(lambda: on_screen(app.state()["card"]), what="the card pulled onto the screen")

    desktop.xdotool("windowmove", str(app.state()["window_id"]), "1500", "900")   # pushed off-screen again
    wait_for(lambda: not on_screen(app.state()["card"]), what="the card to be off-screen")
    second = subprocess.run([sys.executable, "-m", "hangup_coach", "--db", str(app.db)], env=desktop.env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "brought forward" in second.stdout
    wait_for(lambda: on_screen(app.state()["card"]), what="the card brought back onto the screen")
    assert desktop.active_window() == crm.window, "bringing the card forward took the keyboard"

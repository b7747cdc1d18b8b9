"""First run through a real desktop: the card asks for the agent number before the first call,
and a call taken before it is given records the number once it is."""

import os
import subprocess
import sys

from desktop_session import HERE, wait_for


def screenshot(desktop, path):
    """The whole screen as a PNG (HANGUP_COACH_SCREENSHOTS=<folder> keeps them to look at)."""
    subprocess.run([sys.executable, str(HERE / "grab_screen.py"), str(path)], env=desktop.env, check=True, timeout=60)


def test_the_card_asks_for_the_agent_number_and_an_early_call_takes_it(desktop, crm, start_app):
    app = start_app("--lang", "zh_CN", agent_number=None)
    prompt = wait_for(lambda: app.state()["dialogs"] and app.state()["dialogs"][0], what="the first-run prompt")
    assert prompt["title"] == "欢迎使用挂机助手"
    shots = os.environ.get("HANGUP_COACH_SCREENSHOTS")
    if shots:
        wait_for(lambda: app.state()["dialogs"][0]["field"], what="the prompt laid out")
        screenshot(desktop, os.path.join(shots, "first-run-zh_CN.png"))

    app.click("number_input")                       # a call comes before the number is given
    wait_for(lambda: app.state()["active"], what="the card to take the keyboard")
    desktop.xdotool("type", "--delay", "20", "13800138000")
    desktop.xdotool("key", "Return")
    call = wait_for(lambda: app.rows("SELECT agent_id FROM calls"), what="the early call")[0]
    assert call["agent_id"] == "", "a made-up agent number was recorded"

    x, y, w, h = app.state()["dialogs"][0]["field"]
    desktop.click(x + w // 2, y + h // 2)
    desktop.xdotool("type", "--delay", "20", "2046")
    desktop.xdotool("key", "Return")
    wait_for(lambda: not app.state()["dialogs"], what="the prompt to close")
    wait_for(lambda: app.rows("SELECT agent_id FROM calls") == [{"agent_id": "2046"}], what="the early call to take the number")
    settings = (desktop.tmp / "home" / "config" / "settings.ini").read_text(encoding="utf-8")
    assert "agent_id=2046" in settings

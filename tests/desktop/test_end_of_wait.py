"""The end of the 2-second wait through a real desktop: the card's edge flashes while the agent
keeps typing in the CRM."""

import os
import subprocess
import sys

from desktop_session import HERE, wait_for


def test_the_cards_edge_flashes_when_the_wait_is_over_and_the_crm_keeps_the_keyboard(desktop, crm, start_app):
    app = start_app("demo", "--by-hand", "--lang", "zh_CN")
    wait_for(lambda: (app.state().get("call") or {}).get("phase") == "ringing", what="the first call ringing")
    desktop.xdotool("key", "ctrl+alt+a")
    wait_for(lambda: app.state()["call"]["phase"] == "talking", what="the call answered")
    assert not app.state()["flash"]
    shots = os.environ.get("HANGUP_COACH_SCREENSHOTS")   # a grab that waits for the flash, started before it
    grab = shots and subprocess.Popen([sys.executable, str(HERE / "grab_screen.py"),
                                       os.path.join(shots, "end-of-wait-zh_CN.png"), str(app.probe), "flash"],
                                      env=desktop.env)
    desktop.xdotool("key", "ctrl+alt+n")                          # the customer needs nothing else
    wait_for(lambda: app.state()["call"]["phase"] == "grace", what="the 2-second wait")
    assert not app.state()["flash"], "the edge flashed before the wait was over"
    wait_for(lambda: app.state()["flash"], what="the edge to flash at the end of the wait")
    if grab:
        assert grab.wait(60) == 0
    assert app.state()["call"]["hangup_allowed"]
    wait_for(lambda: not app.state()["flash"], what="the flash to end")
    assert desktop.active_window() == crm.window, "the flash took the keyboard"

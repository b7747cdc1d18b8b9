"""System-wide keys on X11: pressed while the CRM has the keyboard, they reach the card (and
not the CRM); a key another program holds is reported on the card."""

import time

from Xlib import X, XK, display

from desktop_session import wait_for

BRANCH_ONLY = "13600001111"     # a caller whose request needs a branch: explanations apply


def seed_branch_only_caller(desktop):
    from datetime import datetime, timezone

    from hangup_coach.store.calls import CallStore
    from hangup_coach.store.db import open_db
    CallStore(open_db(desktop.tmp / "calls.db")).save_profile("+86" + BRANCH_ONLY, branch_only=True,
                                                              now=datetime.now(timezone.utc))


def start_talking(desktop, crm, app, number="13800138000"):
    app.click("number_input")
    wait_for(lambda: app.state()["active"], what="the card to take the keyboard")
    desktop.xdotool("type", "--delay", "20", number)
    desktop.xdotool("key", "Return")
    wait_for(lambda: desktop.active_window() == crm.window, what="the CRM to have the keyboard back")


def test_a_hotkey_pressed_in_the_crm_counts_an_explanation(desktop, crm, start_app):
    seed_branch_only_caller(desktop)
    app = start_app()
    start_talking(desktop, crm, app, BRANCH_ONLY)
    # As an agent would: Explain once the card shows the button. A loaded machine may open the database
    # after the call started; the card classifies the caller again from its history then (no history:
    # a regular caller, no Explain button, the key does nothing).
    wait_for(lambda: app.widget("explain")["visible"], what="the card to show the caller must visit a branch")
    desktop.xdotool("type", "--delay", "20", "memo")
    wait_for(lambda: crm.text == "memo", what="the CRM to have the keyboard")
    desktop.xdotool("key", "ctrl+alt+e")
    wait_for(lambda: app.rows("SELECT explanations FROM calls") == [{"explanations": 1}], what="one explanation")
    desktop.xdotool("key", "ctrl+alt+e")
    # the call's row is written by the store worker a moment after the keys: wait for it, not index it
    wait_for(lambda: app.rows("SELECT explanations FROM calls") == [{"explanations": 2}], what="two explanations")
    assert crm.text == "memo", "the CRM received the coach's key"
    assert desktop.active_window() == crm.window
    assert app.state()["keys_note"] == ""          # every key grabbed: nothing to report

    desktop.xdotool("key", "ctrl+alt+m")           # the note key: the card takes the keyboard
    wait_for(lambda: app.state()["active"], what="the note key to give the card the keyboard")
    desktop.xdotool("type", "--delay", "20", "by key")
    wait_for(lambda: app.rows("SELECT text FROM notes") == [{"text": "by key"}], what="the note typed after the key")
    desktop.xdotool("key", "Escape")
    wait_for(lambda: desktop.active_window() == crm.window, what="Esc to give the keyboard back")
    desktop.xdotool("key", "ctrl+alt+h")
    wait_for(lambda: app.rows("SELECT ended_by FROM calls") == [{"ended_by": "agent"}], what="the hang-up key")


def test_a_key_held_by_another_program_is_reported_on_the_card(desktop, crm, start_app):
    other = display.Display(desktop.env["DISPLAY"])      # "another program" grabs Ctrl+Alt+W first
    try:
        keycode = other.keysym_to_keycode(XK.string_to_keysym("w"))
        other.screen().root.grab_key(keycode, X.ControlMask | X.Mod1Mask, False, X.GrabModeAsync, X.GrabModeAsync)
        other.sync()
        app = start_app("--lang", "en")
        note = wait_for(lambda: app.state()["keys_note"], what="the conflict on the card")
        assert "Ctrl+Alt+W" in note and "Settings" in note
    finally:
        other.close()


def test_tooltips_show_the_keys_while_the_crm_is_active(desktop, crm, start_app):
    seed_branch_only_caller(desktop)
    app = start_app("--lang", "en")
    start_talking(desktop, crm, app, BRANCH_ONLY)
    x, y, w, h = wait_for(lambda: app.widget("explain")["visible"] and app.widget("explain")["rect"], what="Explained")
    for dx in (0, 2, 4):           # a hand on a mouse moves more than once over a button
        desktop.xdotool("mousemove", "--sync", str(x + w // 2 + dx), str(y + h // 2))
        time.sleep(0.2)
    assert wait_for(lambda: app.state()["tooltip"], what="a tooltip") == "Explained +1 (Ctrl+Alt+E)"
    assert desktop.active_window() == crm.window

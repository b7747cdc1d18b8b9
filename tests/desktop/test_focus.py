"""Focus on click through a real window system: the CRM keeps the keyboard until the agent clicks
a typing field on the card, and gets it back afterwards."""

from desktop_session import wait_for


def test_manual_mode_number_and_note_are_typed_and_the_crm_gets_the_keyboard_back(desktop, crm, start_app):
    app = start_app()                       # no softphone configured: manual mode
    assert desktop.active_window() == crm.window, "showing the card took the keyboard"
    desktop.xdotool("type", "--delay", "20", "order 7")
    wait_for(lambda: crm.text == "order 7", what="the CRM to receive typing")

    app.click("number_input")
    wait_for(lambda: app.state()["active"], what="the card to take the keyboard on the click")
    desktop.xdotool("type", "--delay", "20", "13800138000")
    desktop.xdotool("key", "Return")
    call = wait_for(lambda: app.rows("SELECT * FROM calls"), what="the typed call")[0]
    assert call["caller_number"] == "+8613800138000"
    wait_for(lambda: desktop.active_window() == crm.window, what="the CRM to get the keyboard back after the start")
    assert crm.text == "order 7", "the number went to the CRM"
    wait_for(lambda: not app.state()["active"], what="the card to report it lost the keyboard")

    app.click("note")
    wait_for(lambda: app.state()["active"], what="the note click to give the card the keyboard")
    desktop.xdotool("type", "--delay", "20", "wants a refund")
    wait_for(lambda: app.rows("SELECT text FROM notes") == [{"text": "wants a refund"}], what="the note saved")
    assert crm.text == "order 7"

    desktop.xdotool("key", "Escape")
    wait_for(lambda: desktop.active_window() == crm.window, what="Esc to give the keyboard back")
    desktop.xdotool("type", "--delay", "20", " ok")
    wait_for(lambda: crm.text == "order 7 ok", what="the CRM to receive typing after Esc")

    app.click("hang_up")                    # a button: records the hang-up, leaves the keyboard alone
    wait_for(lambda: app.rows("SELECT ended_by FROM calls") == [{"ended_by": "agent"}], what="the hang-up")
    assert desktop.active_window() == crm.window, "clicking a button took the keyboard"

    app.click("note")
    wait_for(lambda: app.state()["active"], what="the card to take the keyboard again")
    desktop.xdotool("type", "--delay", "20", ", sent form")
    wait_for(lambda: app.rows("SELECT text FROM notes") == [{"text": "wants a refund, sent form"}],
             what="the wrap-up note saved")
    app.click("done")
    wait_for(lambda: [r["wrapped_up_at"] is not None for r in app.rows("SELECT wrapped_up_at FROM calls")] == [True],
             what="the wrap-up")
    wait_for(lambda: desktop.active_window() == crm.window, what="the CRM to get the keyboard after the wrap-up")
    desktop.xdotool("type", "--delay", "20", "!")
    wait_for(lambda: crm.text == "order 7 ok!", what="the CRM to receive typing after the wrap-up")


def test_clicking_back_into_the_crm_takes_the_keyboard_there(desktop, crm, start_app):
    app = start_app()
    app.click("number_input")
    wait_for(lambda: app.state()["active"], what="the card to take the keyboard")
    desktop.click(300, 300)                 # inside the CRM window (40,60 700x500)
    wait_for(lambda: desktop.active_window() == crm.window, what="the click to give the CRM the keyboard")
    desktop.xdotool("type", "--delay", "20", "abc")
    wait_for(lambda: crm.text == "abc", what="the CRM to receive typing")
    assert app.state()["widgets"]["number_input"]["visible"]
    assert not app.rows("SELECT * FROM calls")


def test_ringing_prompts_and_the_wait_never_take_the_keyboard(desktop, crm, start_app):
    app = start_app("demo", "--speed", "10", "--exit-when-done")   # calls ring, prompts show, waits run
    typed = ""
    while app.proc.poll() is None:
        assert desktop.active_window() == crm.window, "the card took the keyboard by itself"
        typed += "x"
        desktop.xdotool("type", "x")
        wait_for(lambda: crm.text == typed, what="the CRM to keep receiving typing")
    assert app.proc.returncode == 0
    assert len(app.rows("SELECT * FROM calls WHERE id NOT LIKE 'seed-%'")) == 9   # the whole shift played

"""A shift from the keyboard alone, through a real X server, a window manager and a CRM window that
logs every key it receives: the coach's keys reach the card, never the CRM."""

import tomllib
from pathlib import Path

import hangup_coach.resources

from desktop_session import wait_for
from test_hotkeys import start_talking


def test_the_reclassify_key_opens_a_menu_that_takes_the_keyboard_and_gives_it_back(desktop, crm, start_app):
    app = start_app("--lang", "en")
    start_talking(desktop, crm, app)
    typed_before = len(crm.keys_beyond_modifiers)
    desktop.xdotool("key", "ctrl+alt+r")
    wait_for(lambda: app.state()["reclass_menu"]["visible"], what="the reclassify menu")
    items = app.state()["reclass_menu"]["items"]
    target = next(i for i, text in enumerate(items) if text.lower().endswith("abuse"))
    for _ in range(target + 1):
        desktop.xdotool("key", "Down")
    wait_for(lambda: app.state()["reclass_menu"]["active"] == items[target], what="the arrow keys to move in the menu")
    desktop.xdotool("key", "Return")
    wait_for(lambda: app.rows("SELECT sub_reason FROM calls")[0]["sub_reason"] == "abuse", what="the reclassification")
    wait_for(lambda: not app.state()["reclass_menu"]["visible"], what="the menu to close")
    assert crm.keys_beyond_modifiers[typed_before:] == [], "the CRM received keys meant for the menu"
    desktop.xdotool("type", "--delay", "20", "ok")
    wait_for(lambda: crm.text == "ok", what="the CRM to have the keyboard back after the menu")

    desktop.xdotool("key", "ctrl+alt+r")
    wait_for(lambda: app.state()["reclass_menu"]["visible"], what="the menu again")
    desktop.xdotool("key", "Escape")
    wait_for(lambda: not app.state()["reclass_menu"]["visible"], what="Esc to close the menu")
    desktop.xdotool("key", "ctrl+alt+r")
    wait_for(lambda: app.state()["reclass_menu"]["visible"], what="the menu once more")
    desktop.click(300, 300)                       # a click in the CRM closes it
    wait_for(lambda: not app.state()["reclass_menu"]["visible"], what="a click elsewhere to close the menu")
    desktop.xdotool("type", "--delay", "20", "!")
    wait_for(lambda: crm.text == "ok!", what="the CRM to keep the keyboard")
    assert app.rows("SELECT sub_reason FROM calls")[0]["sub_reason"] == "abuse"


DROPPED_CALL = """
[[calls]]
title = "The line drops: it cannot say who ended the call"
number = "13800138001"
disposition = "callback"
ended_by = "customer"
steps = [
  { at = 3.0, do = "note", text = "Line dropped, will call back." },
  { at = 5.0, do = "line_drops" },
]
"""
ENDERS = ["agent", "customer", "system", "unknown"]   # the order of the wrap-up's list (core EndedBy)


def test_the_whole_demo_shift_from_the_keyboard_alone(desktop, crm, start_app):
    """The shipped demo shift plus a call whose end the line cannot attribute, worked by keys only:
    the person answers, counts, confirms, reclassifies, writes notes, copies, hangs up and wraps
    up (who ended the call, outcome) while typing in the CRM between calls."""
    shipped = (Path(hangup_coach.resources.__file__).parent / "demo" / "shift.toml").read_text(encoding="utf-8")
    shift_file = desktop.tmp / "shift.toml"
    shift_file.write_text(shipped + DROPPED_CALL, encoding="utf-8")
    shift = tomllib.loads(shift_file.read_text(encoding="utf-8"))
    dispositions = tomllib.loads((Path(hangup_coach.resources.__file__).parent / "policy.toml")
                                 .read_text(encoding="utf-8"))["wrapup"]["dispositions"]
    app = start_app("demo", "--by-hand", "--speed", "2", "--exit-when-done", "--lang", "en",
                    "--shift", str(shift_file))
    typed = ""

    def call():
        return app.state().get("call") or {}

    def key(chord, then=None, what=""):
        desktop.xdotool("key", chord)
        if then is not None:
            wait_for(then, what=what or chord)

    for number, c in enumerate(shift["calls"], 1):
        line_id = f"demo-{number}"
        wait_for(lambda: call().get("line_id") == line_id and call().get("phase") == "ringing", what=f"call {number} ringing")
        if c.get("missed"):
            app.say("hangs-up")
        else:
            key("ctrl+alt+a", lambda: call().get("phase") == "talking", f"call {number} answered")
        for step in c["steps"]:
            do = step["do"]
            if call().get("line_id") != line_id or call().get("phase") in ("ended", "done"):
                break
            if do == "note":
                key("ctrl+alt+m", lambda: app.state()["active"], "the note key")
                desktop.xdotool("type", "--delay", "15", f"note {number}")
                key("Escape", lambda: desktop.active_window() == crm.window, "Esc after the note")
            elif do in ("explain", "warn"):
                field = {"explain": "explanations", "warn": "warnings"}[do]
                before = call()[field]
                key({"explain": "ctrl+alt+e", "warn": "ctrl+alt+w"}[do], lambda: call().get(field) == before + 1)
            elif do == "closure":
                key("ctrl+alt+n", lambda: call().get("phase") in ("grace", "hangup_allowed"), "the closure key")
            elif do == "reclassify":
                key("ctrl+alt+r", lambda: app.state()["reclass_menu"]["visible"], "the reclassify menu")
                items = app.state()["reclass_menu"]["items"]
                target = next(i for i, text in enumerate(items) if text.lower().endswith(step["sub"]))
                for _ in range(target + 1):
                    desktop.xdotool("key", "Down")
                wait_for(lambda: app.state()["reclass_menu"]["active"] == items[target], what="the menu's choice")
                key("Return", lambda: call().get("sub_reason") == step["sub"], "the reclassification")
            elif do == "customer_hangs_up":
                app.say("hangs-up")
            elif do == "line_drops":
                app.say("drops")
            elif do == "hang_up":
                key("ctrl+alt+h")
            elif do == "follow_prompt":
                wait_for(lambda: call().get("hangup_allowed"), what=f"the prompt to hang up in call {number}: {call()}")
                key("ctrl+alt+c")
                key("ctrl+alt+h")
        wait_for(lambda: call().get("phase") == "ended", what=f"call {number} ended")

        outcome = str(dispositions.index(c["disposition"]) + 1) if c.get("disposition") else None
        if c.get("ended_by"):          # the line could not say: Done asks, the card takes the keyboard
            key("ctrl+alt+Return", lambda: app.state()["active"] and app.state()["wrapup_keys"], "the wrap-up keyboard")
            desktop.xdotool("key", str(ENDERS.index(c["ended_by"]) + 1))
            desktop.xdotool("key", outcome)
            desktop.xdotool("key", "Return")
        elif outcome:
            key("ctrl+alt+o", lambda: app.state()["active"] and app.state()["wrapup_keys"], "the wrap-up key")
            desktop.xdotool("key", outcome, "Return")
        else:
            key("ctrl+alt+Return")     # the suggested outcome stands
        wait_for(lambda: call().get("line_id") != line_id or call().get("phase") == "done", what=f"call {number} wrapped up")
        wait_for(lambda: desktop.active_window() == crm.window,
                 what=lambda: f"the CRM to have the keyboard back after call {number} ({desktop.active_window()} has it; {app.state()})")
        typed += "x"
        desktop.xdotool("type", "x")
        wait_for(lambda: crm.text == typed, what="the CRM to receive typing between calls")

    wait_for(lambda: app.proc.poll() is not None, what="the shift to end")
    assert app.proc.returncode == 0
    rows = app.rows("SELECT line_call_id, disposition, ended_by, sub_reason, wrapped_up_at FROM calls "
                    "WHERE id NOT LIKE 'seed-%' ORDER BY started_at")
    assert [r["line_call_id"] for r in rows] == [f"demo-{n}" for n in range(1, len(shift["calls"]) + 1)]
    assert all(r["wrapped_up_at"] for r in rows)
    for row, c in zip(rows, shift["calls"]):
        if c.get("disposition"):
            assert row["disposition"] == c["disposition"], row
    assert rows[-1]["ended_by"] == "customer"                       # picked by key: the line could not say
    assert rows[2]["sub_reason"] == "abuse"                          # reclassified from the menu by keys
    notes = {r["text"] for r in app.rows("SELECT text FROM notes")}
    assert {f"note {n}" for n, c in enumerate(shift["calls"], 1) if any(s["do"] == "note" for s in c["steps"])} <= notes
    assert crm.keys_beyond_modifiers == [f"{ord('X')} 0"] * len(typed) and crm.text == typed, \
        "the CRM received keys meant for the card"


def test_the_manual_call_key_takes_the_number_and_gives_the_keyboard_back(desktop, crm, start_app):
    app = start_app("--lang", "en")                 # no softphone: manual mode
    desktop.xdotool("type", "--delay", "20", "memo")
    wait_for(lambda: crm.text == "memo", what="the CRM to have the keyboard")
    desktop.xdotool("key", "ctrl+alt+p")
    wait_for(lambda: app.state()["active"], what="the manual-call key to give the card the keyboard")
    desktop.xdotool("type", "--delay", "20", "13800138000")
    desktop.xdotool("key", "Return")
    call = wait_for(lambda: app.rows("SELECT caller_number FROM calls"), what="the call started by keys")[0]
    assert call["caller_number"] == "+8613800138000"
    wait_for(lambda: desktop.active_window() == crm.window, what="the CRM to get the keyboard back")
    assert crm.text == "memo" and len(crm.keys_beyond_modifiers) == 4


def test_the_block_and_policy_keys_open_their_menus_on_the_keyboard(desktop, crm, start_app):
    """Every card action has a key: on a no-value call Ctrl+Alt+I opens the IVR block proposal
    (scope, then reason), in the wrap-up Ctrl+Alt+F the reasons the policy did not fit."""
    app = start_app("--lang", "zh_CN")
    start_talking(desktop, crm, app)
    typed_before = len(crm.keys_beyond_modifiers)

    def menu():
        return app.state().get("open_menu") or {}

    def pick(item, what):
        """Arrow down to `item` in the open menu (the keys reach the menu, not the CRM)."""
        items = wait_for(lambda: menu().get("items"), what=what)
        active = menu().get("active")   # a submenu opened by a key starts on its first item
        for _ in range(items.index(item) - (items.index(active) if active in items else -1)):
            desktop.xdotool("key", "Down")
        wait_for(lambda: menu().get("active") == item, what=f"the arrows on {item!r}")

    desktop.xdotool("key", "ctrl+alt+r")
    reclassify = wait_for(lambda: menu().get("items"), what="the reclassify menu")
    pick(next(i for i in reclassify if i.endswith("恶意人身攻击")), "the reclassify menu")   # no value · abuse
    desktop.xdotool("key", "Return")
    wait_for(lambda: app.widget("block")["visible"], what="the block proposal on a no-value call")
    assert "Ctrl+Alt+I" in app.widget("block")["tooltip"]

    desktop.xdotool("key", "ctrl+alt+i")
    pick("屏蔽一周", "the block proposal's scopes")
    desktop.xdotool("key", "Right")                          # its reasons
    wait_for(lambda: "恶意人身攻击" in menu().get("items", []), what="the block reasons")
    pick("恶意人身攻击", "the block reasons")
    desktop.xdotool("key", "Return")
    wait_for(lambda: app.rows("SELECT scope, reason FROM blocklist") == [{"scope": "week", "reason": "abuse"}],
             what="the block proposal stored")
    wait_for(lambda: desktop.active_window() == crm.window, what="the CRM to have the keyboard back")

    desktop.xdotool("key", "ctrl+alt+h")
    wait_for(lambda: app.widget("policy_misfit")["visible"], what="the wrap-up")
    assert "Ctrl+Alt+F" in app.widget("policy_misfit")["tooltip"]
    desktop.xdotool("key", "ctrl+alt+f")
    pick("老年或特殊客户", "the policy-did-not-fit reasons")
    desktop.xdotool("key", "Return")
    wait_for(lambda: not menu(), what="the reasons' menu to close")
    desktop.xdotool("key", "ctrl+alt+Return")                # the line knew who ended it: done
    wait_for(lambda: app.rows("SELECT policy_misfit, wrapped_up_at FROM calls")[0]["wrapped_up_at"],
             what="the wrap-up stored")
    assert app.rows("SELECT policy_misfit FROM calls") == [{"policy_misfit": "vulnerable_customer"}]
    assert crm.keys_beyond_modifiers[typed_before:] == [], "the CRM received keys meant for the card's menus"
    desktop.xdotool("type", "--delay", "20", "ok")
    wait_for(lambda: crm.text.endswith("ok"), what="the CRM to have the keyboard after the wrap-up")

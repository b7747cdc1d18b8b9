"""What a screen reader hears: every control of the card read from the real AT-SPI tree (Xvfb,
a D-Bus session, at-spi2-core), in Chinese and in English."""

import re

import pytest

from hangup_coach.app.resources import load_texts

from atspi import AccessibilityBus
from desktop_session import wait_for

CONTROLS = {"push button", "button menu", "combo box", "text", "entry", "progress bar", "check box", "radio button",
            "toggle button", "spin button", "slider", "menu item"}   # not "list item": a list's choices
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def a11y(desktop):
    bus = AccessibilityBus(desktop.env, desktop.tmp)
    try:
        yield bus
    finally:
        bus.stop()


def card_nodes(a11y):
    return wait_for(lambda: "hangup-coach" in a11y.applications() and a11y.nodes("hangup-coach"),
                    what="the card in the accessibility tree")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_control_of_the_card_has_a_name_in_the_cards_language(desktop, crm, start_app, a11y, lang):
    t = load_texts(lang)
    app = start_app("demo", "--by-hand", "--lang", lang, env=a11y.app_env())
    wait_for(lambda: (app.state().get("call") or {}).get("phase") == "ringing", what="the first call ringing")
    desktop.xdotool("key", "ctrl+alt+a")
    wait_for(lambda: app.state()["call"]["phase"] == "talking", what="the call answered")
    talking = card_nodes(a11y)
    app.say("hangs-up")
    wait_for(lambda: app.state()["call"]["phase"] == "ended", what="the wrap-up")
    wrapup = wait_for(lambda: [n for n in card_nodes(a11y) if n["role"] == "combo box" and n["showing"]],
                      what="the wrap-up lists in the tree") and card_nodes(a11y)

    for nodes in (talking, wrapup):
        controls = [n for n in nodes if n["role"] in CONTROLS and n["showing"]]
        assert len(controls) >= 4, "\n".join(f"{n['role']}|{n['name']}|{n['showing']}" for n in nodes)
        for node in controls:
            assert node["name"].strip(), f"a {node['role']} without a name"
            if lang == "zh_CN":
                assert CJK.search(node["name"]), f"English name in the Chinese card: {node}"
            else:
                assert not CJK.search(node["name"]), f"Chinese name in the English card: {node}"
    names = {n["name"] for n in talking}       # hidden widgets are in the tree too (not showing)
    assert {t["note_label"], t["hang_up"], t["copy"], t["reclassify"], t["hide_card"], t["grace_bar"]} <= names
    assert t["note_label"] in {n["name"] for n in talking if n["role"] == "text"}
    described = {n["name"]: n["description"] for n in talking}
    assert "Ctrl+Alt+H" in described[t["hang_up"]]                  # the key, for the reader too
    wrap_names = {n["name"] for n in wrapup if n["showing"]}
    assert {t["ended_by"], t["disposition"], t["done"]} <= wrap_names   # the lists' labels (their buddies)
    combos = [n["name"] for n in wrapup if n["role"] == "combo box"]
    assert all(re.match(r"[1-9]  ", name) for name in combos), combos   # on Linux a list's name is its choice


def spoken_as(node) -> str:
    """What a reader says for a control: its name, and for a list on Linux (named by its choice)
    the label it is labelled by."""
    return " ".join([node["name"], *node["labels"]]) if node["role"] == "combo box" else node["name"]


def assert_named_in(nodes, lang):
    controls = [n for n in nodes if n["role"] in CONTROLS and n["showing"]]
    assert controls, "no controls in the tree"
    for node in controls:
        said = spoken_as(node)
        assert node["name"].strip(), f"a {node['role']} without a name (labels: {node['labels']})"
        if lang == "zh_CN":
            assert CJK.search(said), f"English name in the Chinese window: {node}"
        else:
            assert not CJK.search(said), f"Chinese name in the English window: {node}"
    return controls


def tab_around(desktop, a11y, window, what):
    """Press Tab until the focus comes back to the first control it reached; the controls it went
    through, read from the tree (the FOCUSED state; a list's chosen item has it too), by path."""
    def focused():   # the control first (a key field's box is focused with its text), never a list's choice
        nodes = [n for n in a11y.nodes("hangup-coach", window) if n["focused"] and n["role"] != "list item"]
        return sorted(nodes, key=lambda n: n["role"] not in CONTROLS)
    desktop.xdotool("key", "Tab")
    start = wait_for(focused, what=f"Tab to focus a control in {what}")[0]
    visited, now = [start], start
    for _ in range(80):
        desktop.xdotool("key", "Tab")
        now = wait_for(lambda: (f := focused()) and f[0]["path"] != now["path"] and f[0], what=f"Tab to move in {what}")
        if now["path"] == start["path"]:
            return visited
        visited.append(now)
    raise AssertionError(f"Tab never came back to {start} in {what}")


def assert_all_reached_by_tab(controls, visited):
    reached = {n["path"] for n in visited}
    missed = [f"{n['role']} {spoken_as(n)!r}" for n in controls
              if n["sensitive"] and n["path"] not in reached
              and n["role"] not in ("menu item",) and not n["name"].startswith(CLEAR_PREFIXES)]
    assert not missed, f"not reachable by Tab: {missed}"


# The key fields' clear buttons take no focus (Qt's key field): named, but left out of the Tab check;
# the key field itself is a Tab stop, and a key typed there replaces the old one.
CLEAR_PREFIXES = ("清除", "Clear")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_control_of_the_first_run_and_settings_windows_has_a_name_and_a_tab_stop(desktop, crm, start_app,
                                                                                        a11y, lang):
    t = load_texts(lang)
    app = start_app("--lang", lang, agent_number=None, env=a11y.app_env())
    prompt = wait_for(lambda: app.state()["dialogs"] and app.state()["dialogs"][0], what="the first-run prompt")
    assert prompt["title"] == t["first_run_title"]
    wait_for(lambda: "hangup-coach" in a11y.applications(), what="the app in the accessibility tree")
    first_run = wait_for(lambda: [n for n in a11y.nodes("hangup-coach", t["first_run_title"]) if n["role"] == "text"]
                         and a11y.nodes("hangup-coach", t["first_run_title"]), what="the prompt's field in the tree")
    [field] = [n for n in assert_named_in(first_run, lang) if n["role"] == "text"]
    assert field["name"] == t["agent_id"] and t["first_run_intro"] in field["description"]
    x, y, w, h = prompt["field"]
    desktop.click(x + w // 2, y + h // 2)
    desktop.xdotool("type", "--delay", "20", "2046")        # the OK button is enabled once a number is typed
    first_run = a11y.nodes("hangup-coach", t["first_run_title"])
    assert_all_reached_by_tab(assert_named_in(first_run, lang), tab_around(desktop, a11y, t["first_run_title"],
                                                                          "the first-run prompt"))
    desktop.xdotool("key", "Escape")                         # closes the prompt unanswered: Settings next

    app.click("menu_button")
    wait_for(lambda: (app.state().get("open_menu") or {}).get("items"), what="the card's menu")
    desktop.xdotool("key", "Down", "Return")                 # ☰ → Settings
    wait_for(lambda: any(d["title"] == t["settings_title"] for d in app.state()["dialogs"]), what="Settings")
    settings = wait_for(lambda: [n for n in a11y.nodes("hangup-coach", t["settings_title"]) if n["role"] == "check box"]
                        and a11y.nodes("hangup-coach", t["settings_title"]), what="Settings in the tree")
    controls = assert_named_in(settings, lang)
    names = {n["name"] for n in controls}
    assert {t["agent_id"], t["softphone"], t["answer"], t["hang_up"], t["policy_did_not_fit"]} <= names
    assert assert_named_in([n for n in controls if n["role"] == "combo box"], lang)
    assert_all_reached_by_tab(controls, tab_around(desktop, a11y, t["settings_title"], "Settings"))

"""What a screen reader hears: every control of the card read from the real AT-SPI tree (Xvfb,
a D-Bus session, at-spi2-core), in Chinese and in English."""

import re

import pytest

from hangup_coach.app.resources import load_texts

from atspi import AccessibilityBus
from desktop_session import wait_for

CONTROLS = {"push button", "button menu", "combo box", "text", "entry", "progress bar", "check box", "radio button",
            "toggle button", "spin button", "slider", "menu item"}
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

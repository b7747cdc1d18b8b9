"""Wayland's keys through the GlobalShortcuts portal, against a stand-in portal on a private bus
(tests/ui/fake_portal.py; no Wayland desktop here). What is tested is our side of the protocol."""

import subprocess
import sys
from pathlib import Path

import pytest

from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.ui.hotkeys_portal import PortalHotkeys, portal_trigger


@pytest.fixture
def session_bus(monkeypatch):
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.stdout.readline().strip())
        yield
    finally:
        bus.terminate()
        bus.wait(10)


@pytest.fixture
def portal(session_bus):
    procs = []

    def start(press, *refuse):
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_portal.py")), press, *refuse],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc
    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_triggers_are_written_the_xdg_way():
    assert portal_trigger("Ctrl+Alt+E") == "CTRL+ALT+e"
    assert portal_trigger("Shift+F13") == "SHIFT+F13"
    assert portal_trigger("Ctrl+Alt+Return") == "CTRL+ALT+Return"


def test_a_key_the_desktop_binds_counts_and_one_it_refuses_is_reported(qtbot, make_card, portal):
    fake = portal("explain", "warn")
    card, controller, line, store = make_card(lang="en")
    line.ring("c1", "13800138000")
    card.buttons["answer"].click()
    card.reclassify(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)
    card.use_hotkeys(PortalHotkeys.on_session_bus())
    qtbot.waitUntil(lambda: controller.current.record.explanations == 1, timeout=10000)
    qtbot.waitUntil(lambda: card.keys_note.text().startswith("Ctrl+Alt+W: already used"), timeout=10000)
    bound = dict(item.split("=", 1) for item in fake.stdout.readline().split()[1:])
    assert bound["explain"] == "CTRL+ALT+e" and bound["done"] == "CTRL+ALT+Return"


def test_without_the_portal_the_card_says_keys_work_only_while_it_is_active(qtbot, make_card, session_bus):
    card, *_ = make_card(lang="en")
    card.use_hotkeys(PortalHotkeys.on_session_bus())      # nothing owns org.freedesktop.portal.Desktop
    qtbot.waitUntil(lambda: "only while the card is the active window" in card.keys_note.text(), timeout=10000)

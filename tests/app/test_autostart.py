"""Starting with the session, per user: IT's autostart entry (apt's hangup-coach-autostart, the
Windows installer's task) runs `hangup-coach --autostart`; an agent who unticks "Start the card
when I log in" in Settings gets no card at their next login, while starting it by hand still works.
IT's machine-wide settings.ini may set the default."""

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from hangup_coach.app.resources import load_texts
from hangup_coach.app.settings import Settings
from hangup_coach.ui.settings_dialog import SettingsDialog

ENTRY = Path(__file__).resolve().parents[2] / "packaging" / "linux" / "hangup-coach-autostart.desktop"


def login(home, extra=()):
    """What the desktop session runs at login: the autostart entry's Exec line (`hangup-coach` as
    this checkout's module), with --smoke so a card that does start exits after being shown."""
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(ENTRY, encoding="utf-8")
    program, *args = shlex.split(entry["Desktop Entry"]["Exec"])
    assert program == "hangup-coach"
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "hangup_coach", *args, *extra, "--smoke",
                           "--db", str(home / "calls.db")], env=env, capture_output=True, text=True, timeout=60)


def test_the_agent_switches_starting_at_login_off_in_settings_and_back_on(qtbot, tmp_path, monkeypatch):
    first = login(tmp_path)
    assert first.returncode == 0 and "card shown at" in first.stdout, first.stderr   # on by default

    settings = Settings(tmp_path / "config" / "settings.ini")
    dialog = SettingsDialog(settings, load_texts("zh_CN"), lambda url: None)
    qtbot.addWidget(dialog)
    assert dialog.autostart.isChecked() and dialog.autostart.text() == "登录时启动挂机助手（IT 已设置随会话启动时有效）"
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[-1]))
    dialog.agent_id.setText("1024")
    dialog.autostart.setChecked(False)
    dialog.accept()
    assert not warned
    assert Settings(tmp_path / "config" / "settings.ini").get("autostart") is False

    off = login(tmp_path)
    assert off.returncode == 0 and "card shown" not in off.stdout, off.stdout   # no card at this login
    assert "which this user switched off" in (tmp_path / "logs" / "hangup-coach.log").read_text()
    by_hand = subprocess.run([sys.executable, "-m", "hangup_coach", "--smoke", "--db", str(tmp_path / "calls.db")],
                             env=dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen"),
                             capture_output=True, text=True, timeout=60)
    assert by_hand.returncode == 0 and "card shown at" in by_hand.stdout, by_hand.stderr   # by hand it starts

    settings.set("autostart", True)
    assert "card shown at" in login(tmp_path).stdout


def test_it_sets_the_default_for_the_machine_and_an_agent_may_still_choose(tmp_path):
    (tmp_path / "machine").mkdir()
    (tmp_path / "machine" / "settings.ini").write_text("[General]\nautostart=false\n")   # IT: off unless chosen
    assert "card shown" not in login(tmp_path).stdout
    agent = Settings(tmp_path / "config" / "settings.ini", machine=tmp_path / "machine" / "settings.ini")
    agent.set("autostart", True)                                                         # this agent wants it
    assert "card shown at" in login(tmp_path).stdout

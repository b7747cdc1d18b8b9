"""IT's machine-wide folder: settings.ini, policy.toml and scripts/ read before the agent's own."""

import os
import subprocess
import sys
from pathlib import Path

from hangup_coach.app.paths import AppPaths, machine_dir
from hangup_coach.app.resources import centre_file, load_policy, load_scripts
from hangup_coach.app.settings import Settings
from hangup_coach.core.scripts import Prompt

MACHINE_INI = """[General]
softphone=baresip://127.0.0.1:4444
language=en
server_url=https://hangup-coach.example.org
card_scale=2
"""


def test_machine_file_sets_values_and_the_users_file_overrides_them(tmp_path):
    (tmp_path / "machine.ini").write_text(MACHINE_INI, encoding="utf-8")
    settings = Settings(tmp_path / "user" / "settings.ini", machine=tmp_path / "machine.ini")
    assert settings.get("softphone") == "baresip://127.0.0.1:4444"
    assert settings.get("language") == "en"
    assert settings.get("server_url") == "https://hangup-coach.example.org"
    assert settings.get("card_scale") == 2.0
    assert settings.get("agent_id") == ""   # not in the machine file: the default (none until the agent gives it)

    settings.set("language", "zh_CN")
    settings.set("softphone", "")              # this agent works in manual mode
    settings.set("card_scale", 2.0)            # the same as IT's: not copied into the user's file
    again = Settings(tmp_path / "user" / "settings.ini", machine=tmp_path / "machine.ini")
    assert again.get("language") == "zh_CN" and again.get("softphone") == ""
    user_file = (tmp_path / "user" / "settings.ini").read_text(encoding="utf-8")
    assert "card_scale" not in user_file and "server_url" not in user_file

    (tmp_path / "machine.ini").write_text(MACHINE_INI.replace("card_scale=2", "card_scale=1.5"), encoding="utf-8")
    assert Settings(tmp_path / "user" / "settings.ini", machine=tmp_path / "machine.ini").get("card_scale") == 1.5


def test_a_bad_machine_value_falls_back_to_the_default(tmp_path, caplog):
    (tmp_path / "machine.ini").write_text("[General]\ncard_scale=7\nlanguage=fr\n", encoding="utf-8")
    settings = Settings(tmp_path / "settings.ini", machine=tmp_path / "machine.ini")
    assert settings.get("card_scale") == 1.0 and settings.get("language") == ""
    assert "card_scale" in caplog.text and "machine.ini" in caplog.text


def test_policy_and_scripts_in_the_machine_folder_are_used_unless_the_user_has_a_copy(tmp_path):
    machine, user = tmp_path / "machine", tmp_path / "user"
    shipped = centre_file(None, "policy.toml").read_text(encoding="utf-8")
    (machine / "scripts").mkdir(parents=True)
    user.mkdir()
    (machine / "policy.toml").write_text(shipped.replace("explanations_before_polite_end = 3",
                                                         "explanations_before_polite_end = 4"), encoding="utf-8")
    assert load_policy().explanations_before_polite_end == 3
    assert load_policy(centre_file(user, "policy.toml", machine_dir=machine)).explanations_before_polite_end == 4
    assert centre_file(user, "policy.toml", machine_dir=machine) == machine / "policy.toml"
    (user / "policy.toml").write_text(shipped, encoding="utf-8")
    assert centre_file(user, "policy.toml", machine_dir=machine) == user / "policy.toml"

    script = centre_file(None, "scripts", "en.toml").read_text(encoding="utf-8")
    (machine / "scripts" / "en.toml").write_text(script.replace("Thank you for calling", "Thanks for calling Acme"),
                                                 encoding="utf-8")
    closing = load_scripts("en", user, machine).line(Prompt("closing"), agent_id="7")
    assert closing.startswith("Thanks for calling Acme, this is agent 7")


def test_where_the_machine_folder_is(tmp_path, monkeypatch):
    monkeypatch.delenv("HANGUP_COACH_MACHINE_CONFIG", raising=False)
    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path))
    assert AppPaths.detect().machine_settings_file == tmp_path / "machine" / "settings.ini"
    monkeypatch.setenv("HANGUP_COACH_MACHINE_CONFIG", str(tmp_path / "it"))
    assert AppPaths.detect().machine == tmp_path / "it"
    monkeypatch.delenv("HANGUP_COACH_MACHINE_CONFIG")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", r"C:\ProgramData")
    assert machine_dir() == Path(r"C:\ProgramData") / "Hangup Coach"
    monkeypatch.setattr(sys, "platform", "linux")
    assert machine_dir() == Path("/etc/hangup-coach")


def start_card(home: Path, machine: Path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), HANGUP_COACH_MACHINE_CONFIG=str(machine),
               QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "hangup_coach", "--smoke"], env=env, capture_output=True,
                          text=True, timeout=120)


def shown_line(home: Path) -> str:
    log = (home / "logs" / "hangup-coach.log").read_text(encoding="utf-8")
    return [line for line in log.splitlines() if "card shown (db" in line][-1]


def test_the_card_starts_with_the_machine_settings_and_policy(tmp_path):
    home, machine = tmp_path / "home", tmp_path / "machine"
    machine.mkdir()
    (machine / "settings.ini").write_text("[General]\nlanguage=en\nsoftphone=json://127.0.0.1:1\n",
                                          encoding="utf-8")
    result = start_card(home, machine)
    assert result.returncode == 0, result.stderr
    assert "language en, softphone JsonSocketSoftphone" in shown_line(home)

    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.ini").write_text("[General]\nlanguage=zh_CN\n", encoding="utf-8")
    assert start_card(home, machine).returncode == 0
    assert "language zh_CN, softphone JsonSocketSoftphone" in shown_line(home)   # the user's language wins

    (machine / "policy.toml").write_text("this is = not a policy\n", encoding="utf-8")
    refused = start_card(home, machine)
    assert refused.returncode == 2 and str(machine / "policy.toml") in refused.stderr

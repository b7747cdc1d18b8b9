"""Settings, language choice, the error path and a centre's own policy file."""

import logging
import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from hangup_coach.app.logging_setup import install_excepthook
from hangup_coach.app.resources import centre_file, load_policy, pick_language
from hangup_coach.app.settings import Settings
from hangup_coach.core.policy import PolicyError
from hangup_coach.ui.error_report import ErrorReporter
from hangup_coach.core.scripts import Prompt
from hangup_coach.ui.settings_dialog import SettingsDialog


def test_settings_round_trip_and_refuse_bad_values(tmp_path):
    settings = Settings(tmp_path / "s.ini")
    assert settings.get("agent_id") == "" and settings.get("card_scale") == 1.0   # no made-up number: the first run asks
    settings.set("card_scale", 2.0)
    settings.set("agent_id", "0815")
    again = Settings(tmp_path / "s.ini")
    assert again.get("card_scale") == 2.0 and again.get("agent_id") == "0815"
    with pytest.raises(ValueError, match="card_scale"):
        settings.set("card_scale", 3.7)


def test_settings_dialog_saves_and_rejects_a_bad_softphone(qtbot, tmp_path, monkeypatch):
    settings = Settings(tmp_path / "s.ini")
    texts = __import__("hangup_coach.app.resources", fromlist=["x"]).load_texts("zh_CN")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[-1]))

    def validate(url):
        if not url.startswith("baresip://"):
            raise ValueError(f"unknown softphone {url!r}")

    dialog = SettingsDialog(settings, texts, validate)
    qtbot.addWidget(dialog)
    dialog.agent_id.setText("2048")
    dialog.scale.setCurrentIndex(dialog.scale.findData(1.5))
    dialog.softphone.setText("fax://nope")
    dialog.accept()
    assert warnings and "fax://nope" in warnings[0]
    assert settings.get("agent_id") == ""              # nothing saved from a refused form
    dialog.softphone.setText("baresip://127.0.0.1:4444")
    dialog.accept()
    assert settings.get("agent_id") == "2048" and settings.get("card_scale") == 1.5
    assert settings.get("softphone") == "baresip://127.0.0.1:4444"


@pytest.mark.parametrize("env, expected", [
    ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh_CN"), ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_language_follows_the_system_unless_set(env, expected):
    # The system locale is read once per process, so each case gets a fresh one.
    clean = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    code = "from hangup_coach.app.resources import pick_language as p; print(p(None), p('en'), p('zh_CN'))"
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)
    assert out.stdout.split() == [expected, "en", "zh_CN"], out.stderr


def test_uncaught_error_is_logged_shown_and_the_note_saved(qtbot, make_card, caplog, tmp_path):
    card, controller, line, store = make_card()
    line.ring("c1", "13800138000")
    line.answer("c1")
    card.note.setPlainText("typed just before the bug")   # not yet flushed by the debounce
    reporter = ErrorReporter(card, card.t, tmp_path / "x.log")
    old = sys.excepthook
    install_excepthook(reporter.report)
    try:
        with caplog.at_level(logging.CRITICAL):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = old
    assert "uncaught error" in caplog.text and "boom" in caplog.text
    assert reporter.box.isVisible() and not reporter.box.isModal() and "boom" in reporter.box.text()
    assert controller.wait_saved()
    assert store.note(controller.current.record.id) == "typed just before the bug"


def test_a_centres_own_policy_file_wins_and_a_bad_one_names_the_key(tmp_path):
    assert centre_file(tmp_path, "policy.toml").parent.name == "resources"
    (tmp_path / "policy.toml").write_text("[non_regular]\nexplanations_before_polite_end = 5\n")
    assert load_policy(centre_file(tmp_path, "policy.toml")).explanations_before_polite_end == 5
    (tmp_path / "policy.toml").write_text("[hangup]\ngrace_seconds = \"two\"\n")
    with pytest.raises(PolicyError, match="hangup.grace_seconds"):
        load_policy(centre_file(tmp_path, "policy.toml"))


def test_calls_recorded_before_the_agent_number_take_it_when_it_is_given(qtbot, make_card):
    card, controller, line, store = make_card()
    controller.fill.agent_id = controller.coach.agent_id = ""      # a first run: no number yet
    line.ring("L1", "13800138000")
    line.answer("L1")
    line.customer_hangs_up("L1")
    card.finish_wrapup()
    qtbot.waitUntil(lambda: store.db.execute("SELECT agent_id FROM calls").fetchall() == [("",)], timeout=5000)
    line.ring("L2", "13900139000")                                    # one more on the line as it is given
    qtbot.waitUntil(lambda: len(store.db.execute("SELECT id FROM calls").fetchall()) == 2, timeout=5000)
    controller.set_agent_id("2046")
    qtbot.waitUntil(lambda: {r[0] for r in store.db.execute("SELECT agent_id FROM calls")} == {"2046"}, timeout=5000)
    assert "2046" in controller.line_text(Prompt("closing"))           # the closing line says it from now on

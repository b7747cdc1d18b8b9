"""The coach's keys: translation to each platform, Settings, and what the card says about them."""

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from hangup_coach.app.resources import load_texts
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.app.settings import HOTKEYS, Settings
from hangup_coach.ui.hotkeys_windows import windows_chord
from hangup_coach.ui.hotkeys_x11 import x11_chord
from hangup_coach.ui.settings_dialog import SettingsDialog
from hangup_coach.ui.hotkeys import SystemHotkeys


BROWSER_KEYS = {"F1", "F3", "F5", "F6", "F7", "F10", "F11", "F12", "Ctrl+N", "Ctrl+W", "Ctrl+R"}


def test_default_keys_leave_the_browser_keys_alone_and_every_platform_can_name_them(qapp):
    assert not set(HOTKEYS.values()) & BROWSER_KEYS
    assert len(set(HOTKEYS.values())) == len(HOTKEYS)
    for key in HOTKEYS.values():
        assert x11_chord(key) is not None and windows_chord(key) is not None, key
    assert x11_chord("Ctrl+Alt+E") == (ord("e"), 4 | 8)            # ControlMask | Mod1Mask
    assert x11_chord("F13")[0] == 0xFFCA                             # XK_F13
    assert windows_chord("Ctrl+Alt+E") == (ord("E"), 0x4000 | 0x2 | 0x1)
    assert windows_chord("F24") == (0x87, 0x4000)


def test_settings_refuse_one_key_for_two_actions_in_a_sentence(qtbot, tmp_path, monkeypatch):
    settings = Settings(tmp_path / "s.ini")
    texts = load_texts("en")
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: said.append(a[-1]))
    dialog = SettingsDialog(settings, texts)
    qtbot.addWidget(dialog)
    dialog.agent_id.setText("2046")
    dialog.keys["warn"].setKeySequence(dialog.keys["explain"].keySequence())
    dialog.accept()
    assert said == ['The key Ctrl+Alt+E is set for both "Explained +1" and "Warned +1". '
                    'Give each action its own key.']
    assert settings.get("hotkeys/warn") == HOTKEYS["warn"]            # nothing saved
    dialog.keys["warn"].setKeySequence("F13")
    dialog.agent_id.setText("")
    dialog.accept()
    assert said[-1] == texts["error_agent_id"]
    dialog.agent_id.setText("7")
    dialog.accept()
    assert settings.hotkeys()["warn"] == "F13" and settings.get("agent_id") == "7"


def test_the_dialog_speaks_chinese_down_to_qts_own_buttons(qtbot, tmp_path, qapp):
    from hangup_coach.ui.qt_translations import install_qt_translations
    translator = install_qt_translations(qapp, "zh_CN")
    try:
        dialog = SettingsDialog(Settings(tmp_path / "s.ini"), load_texts("zh_CN"))
        qtbot.addWidget(dialog)
        box = dialog.findChild(QDialogButtonBox)
        assert box.button(QDialogButtonBox.Save).text() == "保存"
        assert box.button(QDialogButtonBox.Cancel).text() == "取消"
    finally:
        qapp.removeTranslator(translator)


def test_english_needs_no_qt_translation_and_logs_no_warning(qtbot, tmp_path, qapp, caplog):
    from hangup_coach.ui.qt_translations import install_qt_translations
    assert install_qt_translations(qapp, "en") is None
    assert "no Qt translation" not in caplog.text
    dialog = SettingsDialog(Settings(tmp_path / "s.ini"), load_texts("en"))
    qtbot.addWidget(dialog)
    assert dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Save).text() == "Save"


class FakeHotkeys(SystemHotkeys):
    def __init__(self, taken):
        super().__init__()
        self.taken, self.bound = taken, {}

    def bind(self, keys):
        self.bound = dict(keys)
        return {a: k for a, k in keys.items() if k in self.taken}

    def release(self):
        self.bound = {}


def test_the_card_says_where_its_keys_work(qtbot, make_card):
    card, controller, line, store = make_card(lang="en")
    card.use_hotkeys(None)
    assert card.keys_note.isVisible() and "only while the card is the active window" in card.keys_note.text()
    fake = FakeHotkeys(taken={"Ctrl+Alt+W"})
    card.use_hotkeys(fake)
    assert card.keys_note.text().startswith("Ctrl+Alt+W: already used by another program")
    card.set_keys({**HOTKEYS, "warn": "F14"})                         # changed in Settings: grabbed again
    assert fake.bound["warn"] == "F14" and not card.keys_note.isVisible()
    line.ring("c1", "13800138000")
    card.buttons["answer"].click()
    card.reclassify(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)
    fake.pressed.emit("explain")                                      # pressed while the CRM is active
    assert controller.current.record.explanations == 1
    assert card.buttons["explain"].toolTip() == "Explained +1 (Ctrl+Alt+E)"


def test_a_key_a_browser_uses_gets_a_warning_that_names_it_and_is_saved_only_if_confirmed(qtbot, tmp_path, monkeypatch):
    from hangup_coach.ui.settings_dialog import BROWSER_KEYS as WARNED
    assert BROWSER_KEYS <= set(WARNED)
    settings = Settings(tmp_path / "s.ini")
    asked, answer = [], [QMessageBox.Cancel]
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: asked.append(a[2]) or answer[0])
    dialog = SettingsDialog(settings, load_texts("en"))
    qtbot.addWidget(dialog)
    dialog.agent_id.setText("2046")
    dialog.keys["hang_up"].setKeySequence("F5")
    dialog.accept()
    assert asked == ['F5 (for "Hang up") is a key web browsers use: it reloads the page, and a CRM form that is '
                     'not saved is lost. While the card holds it, a CRM in a browser never gets F5 again. Save it anyway?']
    assert settings.get("hotkeys/hang_up") == HOTKEYS["hang_up"]      # cancelled: nothing saved
    answer[0] = QMessageBox.Save
    dialog.accept()
    assert settings.get("hotkeys/hang_up") == "F5"

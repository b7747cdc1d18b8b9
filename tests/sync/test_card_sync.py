"""The card with its sync worker against a real server: the ring-time lookup re-classifies the
call on the card, the sync state is on the card, the settings dialog names the server, and the
token lives in a keyring when there is one."""

import stat

import pytest

from hangup_coach.app.resources import load_texts
from hangup_coach.app.settings import Settings
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.sync.credentials import Credentials
from hangup_coach.ui.settings_dialog import SettingsDialog
from tests.support.faulty_proxy import FaultyProxy

NUMBER = "13800138000"


def test_the_card_shows_the_local_class_at_once_and_the_teams_when_the_server_answers(qtbot, agents, synced_card):
    alice, bob = agents("1024"), agents("2048")
    card, controller, worker = synced_card(bob)
    qtbot.waitUntil(lambda: "Synced" in card.sync_label.text(), timeout=20_000)
    for n in (1, 2):
        alice.record_call(n, caller_class="no_value", sub_reason="abuse", class_source="agent")
    assert alice.sync().returncode == 0                  # bob's card has not pulled since

    qtbot.keyClicks(card.number_input, NUMBER)
    card.start_manual_call()
    session = controller.current
    assert session.caller_class is CallerClass.REGULAR  # the local class, at once
    qtbot.waitUntil(lambda: session.caller_class is CallerClass.NO_VALUE, timeout=10_000)
    assert session.sub_reason is SubReason.ABUSE and session.record.class_reason_key == "recent_no_value"
    assert card.reason.text() == session.record.class_reason
    assert bob.store.get_call(session.record.id).caller_class == "no_value"   # saved as shown


def test_a_slow_server_leaves_the_local_class_and_the_card_says_offline(qtbot, tmp_path, server, synced_card):
    from tests.server.harness import add_device
    from .agents import Agent
    proxy = FaultyProxy(server.port, slow_seconds=2.0).__enter__()
    try:
        _, token = add_device(server.database, "2048")
        bob = Agent(tmp_path / "bob", "2048")
        assert bob.login(proxy.url, token).returncode == 0
        card, controller, worker = synced_card(bob)
        qtbot.waitUntil(lambda: "Synced" in card.sync_label.text() and "0 to send" in card.sync_label.text(),
                        timeout=20_000)
        proxy.inject("slow")                             # the ring-time lookup
        qtbot.keyClicks(card.number_input, NUMBER)
        card.start_manual_call()
        session = controller.current
        qtbot.waitUntil(lambda: any(p.startswith("/v1/profiles/") for _, p, _ in proxy.seen), timeout=5_000)
        qtbot.wait(2500)                                 # the answer came too late (timeout 0.3 s)
        assert session.caller_class is CallerClass.REGULAR and session.record.class_reason_key == "regular_first"

        server.stop()                                    # now the server is gone
        worker.sync_now()
        qtbot.waitUntil(lambda: "Offline" in card.sync_label.text(), timeout=20_000)
        assert "1 to send" in card.sync_label.text()     # the call just taken waits in the outbox
        bob.close()
    finally:
        proxy.__exit__()


def test_the_settings_dialog_names_the_server(qtbot, tmp_path):
    texts = load_texts("zh_CN")
    creds = Credentials(tmp_path, use_keyring=False)
    dialog = SettingsDialog(Settings(tmp_path / "settings.ini"), texts, sync_server=creds.server())
    qtbot.addWidget(dialog)
    assert dialog.sync_server.text() == texts["sync_not_connected"]
    creds.save("https://sync.example:8443", "secret-token")
    dialog = SettingsDialog(Settings(tmp_path / "settings.ini"), texts, sync_server=creds.server())
    qtbot.addWidget(dialog)
    assert dialog.sync_server.text() == "https://sync.example:8443"


def test_the_token_goes_to_a_working_keyring_else_to_a_private_file(tmp_path):
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.backends import null

    fallback = Credentials(tmp_path / "a")               # this machine's keyring: none that works
    saved = fallback.save("http://127.0.0.1:1", "tok-1")
    assert saved.where == str(tmp_path / "a" / "sync.json")
    assert stat.S_IMODE((tmp_path / "a" / "sync.json").stat().st_mode) == 0o600
    assert fallback.load().token == "tok-1"

    class MemoryKeyring(KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    keyring.set_keyring(MemoryKeyring())
    try:
        creds = Credentials(tmp_path / "b")
        assert creds.save("http://127.0.0.1:1", "tok-2").where == "keyring"
        assert "tok-2" not in (tmp_path / "b" / "sync.json").read_text()
        assert creds.load().token == "tok-2" and "tok-2" not in repr(creds.load())
        creds.forget()
        assert MemoryKeyring.store == {} and creds.load() is None
    finally:
        keyring.set_keyring(null.Keyring())             # a keyring that keeps nothing: the file again
    assert Credentials(tmp_path / "c").save("http://127.0.0.1:1", "tok-3").where != "keyring"


def test_a_revoked_token_shows_on_the_card_and_a_new_login_resumes_without_a_restart(qtbot, tmp_path, server,
                                                                                     synced_card):
    from hangup_coach.server.storage import Storage
    from tests.server.harness import add_device
    from .agents import Agent
    device_id, token = add_device(server.database, "2048")
    bob = Agent(tmp_path / "bob", "2048")
    assert bob.login(server.url, token).returncode == 0
    card, controller, worker = synced_card(bob)
    qtbot.waitUntil(lambda: "Synced" in card.sync_label.text(), timeout=20_000)
    storage = Storage(server.database)
    storage.revoke_device(device_id)
    storage.close()
    bob.record_call(1)
    worker.sync_now()
    qtbot.waitUntil(lambda: card.sync_label.text() == "Sync refused: log in again", timeout=20_000)
    _, token = add_device(server.database, "2048")
    assert bob.login(server.url, token).returncode == 0
    worker.sync_now()
    qtbot.waitUntil(lambda: "Synced" in card.sync_label.text() and "0 to send" in card.sync_label.text(),
                    timeout=20_000)
    bob.close()

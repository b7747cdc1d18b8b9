"""Settings never stop the card (a bad softphone URL means manual mode, with a warning), and one
database has one card, however it is reached (a symlink too)."""

import json
import os
import subprocess
import sys
import time

from hangup_coach.app.settings import Settings, cti_token

APP = [sys.executable, "-m", "hangup_coach"]


def env_for(home):
    return dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")


def test_a_bad_softphone_url_in_settings_falls_back_to_manual_mode(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.ini").write_text("[General]\nsoftphone=sip://10.0.0.1:5060\n")
    settings = Settings(tmp_path / "config" / "settings.ini")
    assert settings.get("softphone") == "" and settings.fell_back == {"softphone"}
    result = subprocess.run(APP + ["--smoke", "--db", str(tmp_path / "c.db")], env=env_for(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "card shown" in result.stdout, result.stderr
    log = (tmp_path / "logs" / "hangup-coach.log").read_text()
    assert "setting softphone='sip://10.0.0.1:5060' is not valid" in log and "softphone manual" in log


def test_a_good_softphone_url_is_kept(tmp_path):
    settings = Settings(tmp_path / "settings.ini")
    settings.set("softphone", "json://127.0.0.1:7070")
    assert Settings(tmp_path / "settings.ini").get("softphone") == "json://127.0.0.1:7070"


def test_the_cti_token_is_made_once_and_readable_by_the_agent_only(tmp_path):
    token = cti_token(tmp_path)
    assert len(token) >= 32 and cti_token(tmp_path) == token
    assert oct((tmp_path / "cti-token").stat().st_mode & 0o777) == "0o600"


def test_the_same_database_through_a_symlink_is_one_card(tmp_path):
    """The second launch reaches the same calls.db through a symlinked folder (the default path,
    not resolved by --db): it must find the first card, not open a second one on the same file."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    first = subprocess.Popen(APP, env=env_for(real), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        log = real / "logs" / "hangup-coach.log"
        deadline = time.monotonic() + 30
        while not (log.exists() and "card shown" in log.read_text()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        second = subprocess.run(APP, env=env_for(link), capture_output=True, text=True, timeout=30)
        assert second.returncode == 0 and "already running" in second.stdout
    finally:
        first.kill()
        first.wait()


def test_the_lock_lets_one_card_per_database_and_the_server_brings_it_forward(tmp_path, qtbot):
    from hangup_coach.app.single_instance import InstanceLock, InstanceServer, ask_running_instance_to_show

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    db, same_db = str(tmp_path / "real" / "calls.db"), str(tmp_path / "link" / "calls.db")
    first, second, other = InstanceLock(tmp_path, db), InstanceLock(tmp_path, same_db), \
        InstanceLock(tmp_path, str(tmp_path / "other.db"))
    server = None
    try:
        assert first.acquire()
        assert not second.acquire()                                # the same file through a symlink
        assert other.acquire()                                     # another database: its own card
        assert not ask_running_instance_to_show(db, wait_s=0.3)    # nobody listens yet: no answer
        server = InstanceServer(db)
        with qtbot.waitSignal(server.show_requested, timeout=10_000):
            assert ask_running_instance_to_show(same_db, wait_s=5)
        first.release()
        assert second.acquire()                                    # the card ended: the next start is the card
    finally:
        for lock in (first, second, other):
            lock.release()
        if server is not None:
            server.deleteLater()


def test_two_cards_started_at_once_on_one_database_make_one_card(tmp_path):
    """A second start while the first is still starting (before it listens) waits for it."""
    cmd = APP + ["--db", str(tmp_path / "calls.db")]
    cards = [subprocess.Popen(cmd, env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while all(card.poll() is None for card in cards):
            assert time.monotonic() < deadline, "neither start gave way to the other"
            time.sleep(0.1)
        [ended] = [card for card in cards if card.poll() is not None]
        [running] = [card for card in cards if card is not ended]
        out, err = ended.communicate()
        assert ended.returncode == 0 and "already running" in out, err
        assert running.poll() is None
    finally:
        for card in cards:
            card.kill()
            card.communicate()


def test_a_card_killed_leaves_no_lock_behind(tmp_path):
    db = str(tmp_path / "calls.db")
    first = subprocess.Popen(APP + ["--db", db], env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        log = tmp_path / "logs" / "hangup-coach.log"
        deadline = time.monotonic() + 60
        while not (log.exists() and "card shown" in log.read_text()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
    finally:
        first.kill()   # SIGKILL: no clean-up of its own
        first.wait()
    again = subprocess.run(APP + ["--smoke", "--db", db], env=env_for(tmp_path), capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0 and "card shown" in again.stdout, again.stderr


def test_the_texts_cache_is_used_while_the_translations_are_the_same_and_made_again_when_they_change(
        tmp_path, monkeypatch):
    from hangup_coach.app import resources

    shipped = tmp_path / "shipped" / "translations"
    shipped.mkdir(parents=True)
    for lang in ("en", "zh_CN"):
        shipped.joinpath(f"{lang}.toml").write_text(resources.resource_path("translations", f"{lang}.toml")
                                                    .read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(resources, "resource_path", lambda *parts: tmp_path.joinpath("shipped", *parts))
    cache = tmp_path / "texts-zh_CN.json"
    parsed = resources.load_texts("zh_CN")
    assert resources.load_texts("zh_CN", cache=cache) == parsed and cache.exists()
    assert parsed["idle"] and parsed["app_name"] == "挂机助手"

    kept = json.loads(cache.read_text(encoding="utf-8"))
    kept["texts"]["idle"] = "from the cache"
    cache.write_text(json.dumps(kept), encoding="utf-8")
    assert resources.load_texts("zh_CN", cache=cache)["idle"] == "from the cache"   # read, not parsed

    zh = shipped / "zh_CN.toml"
    zh.write_text(zh.read_text(encoding="utf-8").replace(f'idle = "{parsed["idle"]}"', 'idle = "新的文字"'),
                  encoding="utf-8")
    assert resources.load_texts("zh_CN", cache=cache)["idle"] == "新的文字"   # the file changed: parsed again
    cache.write_text("{not json", encoding="utf-8")
    assert resources.load_texts("zh_CN", cache=cache)["idle"] == "新的文字"   # a damaged cache: made again
    assert json.loads(cache.read_text(encoding="utf-8"))["texts"]["idle"] == "新的文字"


def test_a_lock_let_go_of_is_released(tmp_path):
    from hangup_coach.app.single_instance import InstanceLock

    db = str(tmp_path / "calls.db")
    assert InstanceLock(tmp_path, db).acquire()   # dropped at once: a card run in this process has ended
    again = InstanceLock(tmp_path, db)
    try:
        assert again.acquire()
    finally:
        again.release()

"""A card whose clock is minutes off the server's says so on the card (issue 16, "Time"): the sync
client measures it against `/v1/me` and is told it by a push; the card shows a translated line
while it is off and hides it when the clock is right again. A real server; the card's clock is
injected (sync.client.utc_now)."""

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QPoint

from hangup_coach.app.resources import load_texts
from hangup_coach.app.sync_setup import clock_warning
from hangup_coach.sync import client as client_module
from hangup_coach.sync.client import SyncClient
from tests.server.harness import add_device
from tests.server.records import call


def test_the_client_measures_its_clock_and_the_server_tells_it(server):
    device_id, token = add_device(server.database, "1024")
    fast = lambda: datetime.now(timezone.utc) + timedelta(minutes=10)      # noqa: E731
    with SyncClient(server.url, token, now=fast) as card:
        card.me()
        assert -660 < card.clock_skew < -540                  # the server's clock minus ours
        card.clock_skew = None
        card.push(device_id, [call("1024")])                  # sent_at by our clock: the server measures it
        assert -660 < card.clock_skew < -540
    with SyncClient(server.url, token, now=lambda: datetime.now(timezone.utc) - timedelta(hours=3)) as card:
        card.me()
        assert 3 * 3600 - 60 < card.clock_skew < 3 * 3600 + 60
    with SyncClient(server.url, token, now=lambda: datetime.now(timezone.utc) + timedelta(minutes=2)) as card:
        card.me()
        card.push(device_id, [call("1024")])
        assert card.clock_skew is None                        # within the 5 minutes the server allows


def test_the_words_in_both_languages():
    en, zh = load_texts("en"), load_texts("zh_CN")
    assert clock_warning(None, en) == "" and clock_warning(None, zh) == ""
    assert clock_warning(-7 * 60, en).startswith("This computer's clock is 7 min fast")
    assert clock_warning(3 * 3600, en).startswith("This computer's clock is 3 hours slow")
    assert clock_warning(-400 * 86400, en).startswith("This computer's clock is 400 days fast")
    assert clock_warning(-7 * 60, zh).startswith("本机时钟快了 7 分钟")
    assert clock_warning(2 * 86400 + 100, zh).startswith("本机时钟慢了 2 天")


def test_the_card_says_its_clock_is_off_and_stops_when_it_is_right(qtbot, agents, synced_card, monkeypatch):
    offset = [timedelta(hours=-3)]
    monkeypatch.setattr(client_module, "utc_now", lambda: datetime.now(timezone.utc) + offset[0])
    agent = agents("1024")
    card, controller, worker = synced_card(agent, "zh_CN")
    qtbot.waitUntil(lambda: card.clock_label.isVisible(), timeout=20_000)
    assert card.clock_label.text().startswith("本机时钟慢了 3 小时")
    assert card.clock_label.property("problem") is True
    bottom = card.clock_label.mapTo(card, QPoint(0, card.clock_label.height())).y()
    assert bottom <= card.height()                                      # on the card, not cut off
    offset[0] = timedelta(0)                                            # IT set the time
    worker.sync_now()
    qtbot.waitUntil(lambda: not card.clock_label.isVisible(), timeout=20_000)
    assert card.clock_label.text() == ""

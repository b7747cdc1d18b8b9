"""A card whose token has expired says so in its own words (zh_CN), not just "refused": the server's
401 carries reason "expired" (server/storage/tokens.py) and the sync worker's status shows it."""

from sqlalchemy import update

from hangup_coach.server.storage import Storage
from hangup_coach.server.storage.schema import devices


def test_the_card_says_its_sign_in_expired(qtbot, server, agents, synced_card):
    agent = agents("1024")
    card, controller, worker = synced_card(agent, "zh_CN")
    qtbot.waitUntil(lambda: "已同步" in card.sync_label.text(), timeout=20_000)
    storage = Storage(server.database)
    try:                                                    # the token's time is up
        with storage.write() as conn:
            conn.execute(update(devices).where(devices.c.agent_id == "1024")
                         .values(token_expires_at="2020-01-01T00:00:00.000000+00:00"))
    finally:
        storage.close()
    worker.sync_now()
    qtbot.waitUntil(lambda: "登录已过期" in card.sync_label.text(), timeout=20_000)
    assert card.sync_label.property("problem") is True
    assert "expired at 2020-01-01 00:00 UTC" in card.sync_label.toolTip()

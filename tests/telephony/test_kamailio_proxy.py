"""The shipped Kamailio config in front of a real baresip with the card attached: a number in the
`blocked` htable gets 403 from the proxy and never reaches the softphone; others ring (issue 17).

The table is written here over Kamailio's JSON-RPC directly: this tests the proxy's config. The
server keeping it in step is tests/server/test_blocklist_e2e.py."""

import sys
from pathlib import Path

import pytest

from hangup_coach.core.coach import Phase

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from kamailio import Kamailio  # noqa: E402

pytestmark = pytest.mark.e2e

BLOCKED, OTHER = "13800138000", "13900139000"


@pytest.fixture
def kamailio_for(request):
    started = []

    def start(baresip) -> Kamailio:
        proxy = Kamailio(baresip.sip_port)
        started.append(proxy)
        return proxy.start()

    yield start
    for proxy in started:
        proxy.close()


def call(qtbot, start_sipp, proxy, number):
    sipp = start_sipp(proxy, "through_proxy.xml", [number], pause_ms=200)
    qtbot.waitUntil(sipp.done, timeout=20_000)
    assert sipp.returncode == 0, sipp.report()
    return sipp


def final_response(sipp) -> str:
    statuses = [first for _t, direction, first, _cid in sipp._messages()
                if direction == "received" and first.startswith("SIP/2.0 ") and not first.startswith("SIP/2.0 1")]
    return statuses[0]


def test_a_blocked_number_is_refused_by_the_proxy_and_never_rings(qtbot, start_baresip, start_sipp, open_desk,
                                                                   kamailio_for):
    baresip = start_baresip("auto")
    desk = open_desk(baresip.url)
    proxy = kamailio_for(baresip)
    assert proxy.rpc("htable.sets", "blocked", BLOCKED, "1")["result"].startswith("Ok")

    refused = call(qtbot, start_sipp, proxy, BLOCKED)
    assert final_response(refused) == "SIP/2.0 403 Forbidden"
    assert f"sip:{BLOCKED}@" not in baresip.log_tail(lines=1000)   # baresip logs every incoming call's From

    answered = call(qtbot, start_sipp, proxy, OTHER)
    assert final_response(answered).startswith("SIP/2.0 200 ")
    qtbot.waitUntil(lambda: desk.controller.current is not None and desk.controller.current.phase is Phase.ENDED,
                    timeout=5000)
    [row] = desk.rows()                  # the refused call never reached the card either
    assert row["caller_number"] == "+8613900139000" and row["line_call_id"] == answered.sent("INVITE")[0][1]

    assert proxy.rpc("htable.delete", "blocked", BLOCKED)["result"].startswith("Ok")
    again = call(qtbot, start_sipp, proxy, BLOCKED)
    assert final_response(again).startswith("SIP/2.0 200 ")
    assert f"call on line 1 from sip:{BLOCKED}@" in baresip.log_tail(lines=1000)
    qtbot.waitUntil(lambda: len(desk.rows()) == 2, timeout=5000)

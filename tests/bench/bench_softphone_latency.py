"""Benchmark: a customer's SIP INVITE leaves sipp → the card shows the caller's class.

Real baresip (auto answer, ctrl_tcp) and real sipp on loopback, the real adapter, coach, SQLite store
and card (offscreen). The start is sipp's own timestamp of each INVITE (-trace_msg), the end is
time.time() right after the card rendered the call's badge; both read the same wall clock.

    python tests/bench/bench_softphone_latency.py [N]      # prints a Markdown table
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "telephony"))
from sip_harness import Baresip, Sipp  # noqa: E402


def measure(n: int = 100) -> dict:
    """Run n sequential calls; returns {"median_ms", "p99_ms", "n"} (n = calls measured)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QLoggingCategory
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 (must exist while the card does)
    # The offscreen platform warns on every card resize. Filtered by rule, not by a Python message
    # handler: PySide6 6.12 on Python 3.11 drops a reference to None per handled message.
    QLoggingCategory.setFilterRules("default.warning=false")
    try:
        with tempfile.TemporaryDirectory(prefix="hc-bench-") as tmp:
            latencies = _latencies(n, Path(tmp))
    finally:
        QLoggingCategory.setFilterRules("")
    if not latencies:
        raise RuntimeError("no call reached the card")
    return {
        "median_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[math.ceil(0.99 * len(latencies)) - 1], 2),   # nearest rank
        "n": len(latencies),
    }


def _latencies(n: int, work: Path) -> list[float]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from hangup_coach.app.controller import Controller, Fill
    from hangup_coach.app.qt_clock import QtScheduler, SystemClock
    from hangup_coach.app.resources import load_policy, load_scripts, load_texts
    from hangup_coach.store.calls import CallStore
    from hangup_coach.store.db import open_db
    from hangup_coach.telephony.factory import softphone_from_url
    from hangup_coach.ui.card import CoachCard

    baresip = Baresip(work / "baresip", answermode="auto")
    baresip.start()
    softphone = softphone_from_url(baresip.url)
    controller = Controller(CallStore(open_db(work / "calls.db")), load_policy(), load_scripts("en"),
                            SystemClock(), QtScheduler(), Fill(agent_id="1024"), softphone=softphone)
    card = CoachCard(controller, load_texts("en"))
    card.show()
    shown: dict[str, float] = {}

    def on_change(session) -> None:   # connected after the card's own slot: the card has rendered
        if session.phase.value == "ended":
            session.wrap_up("resolved")   # as the agent does: the next call then takes the card's focus
            return
        call_id = session.record.line_call_id
        if call_id not in shown and session is controller.current and card.badge.text():
            shown[call_id] = time.time()

    controller.call_changed.connect(on_change)
    sipp = None
    try:
        softphone.start()
        _run_until(lambda: softphone.state == "online", 10)
        numbers = [f"1390000{i:04d}" for i in range(n)]
        sipp = Sipp(work / "sipp", baresip, "customer_hangs_up.xml", numbers, calls=n, pause_ms=50, rate=20)
        sipp.start()
        _run_until(sipp.done, 30 + n * 0.5)
        if sipp.returncode != 0:
            raise RuntimeError(sipp.report())
        first_invite: dict[str, float] = {}
        for sent, call_id in sipp.sent("INVITE"):
            first_invite.setdefault(call_id, sent)
        return sorted((shown[c] - t) * 1000 for c, t in first_invite.items() if c in shown)
    finally:
        softphone.stop()
        if sipp is not None:
            sipp.kill()
        baresip.kill()
        # Delete the Qt objects now, not during interpreter exit (PySide6 can crash there).
        for obj in (card, controller, softphone):
            obj.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def _run_until(done, timeout: float) -> None:
    """Run the Qt event loop (sleeping in select, as the app does) until done() or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, poll = QEventLoop(), QTimer(interval=20)
    deadline = time.monotonic() + timeout
    poll.timeout.connect(lambda: (done() or time.monotonic() > deadline) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    if not done():
        raise RuntimeError(f"benchmark step not done after {timeout} s")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    result = measure(n)
    print("| SIP INVITE sent → card shows the class (loopback) | value |")
    print("|---|---|")
    print(f"| calls measured | {result['n']} |")
    print(f"| median | {result['median_ms']:.2f} ms |")
    print(f"| p99 | {result['p99_ms']:.2f} ms |")


if __name__ == "__main__":
    main()

"""Screenshots of the card, one per caller class, in Chinese and English, at 100 % and 200 %.

Run under a real X server so the pictures are what an agent sees:
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.telephony.simulator import SimulatedLine
from hangup_coach.ui.card import CoachCard

OUT = Path(os.environ.get("SCREENSHOTS_OUT", Path(__file__).parent))


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def shoot(card: CoachCard, name: str) -> None:
    wait(150)
    pixmap = card.screen().grabWindow(0, card.x(), card.y(), card.width(), card.height())
    pixmap.save(str(OUT / name))
    print("wrote", OUT / name, pixmap.width(), "x", pixmap.height())


def scenes(lang: str, scale: float, suffix: str, tmp: Path) -> None:
    store = CallStore(open_db(tmp / f"{lang}{suffix}.db"))
    clock = SystemClock()
    now = clock.now()
    store.save_profile("+8613912345678", "1234", now - timedelta(days=21), now=now)
    past = CallRecord(id="past-1", agent_id="0007", caller_number="+8613912345678", caller_raw="", line_call_id=None,
                      started_at=now - timedelta(days=2), ended_at=now - timedelta(days=2), ended_by="agent",
                      caller_class="non_regular", sub_reason="closed_case", disposition="explained",
                      wrapped_up_at=now - timedelta(days=2), updated_at=now)
    store.save_call(past)
    store.save_profile("+8613600001111", branch_only=True, now=now)
    line = SimulatedLine()
    controller = Controller(store, load_policy(), load_scripts(lang), clock, QtScheduler(), Fill("1024", "9:00–17:00"), line)
    card = CoachCard(controller, load_texts(lang), scale)
    card.move(40, 40)
    card.show()
    line.start()

    def call(n: int, number: str) -> None:
        line.ring(f"s{n}", number)
        line.answer(f"s{n}")

    call(1, "13800138000")                      # regular, grace running
    card.note.setPlainText("客户查询本月话费，已告知明细。" if lang == "zh_CN" else "Asked about this month's bill; explained.")
    card.buttons["closure"].click()
    wait(900)
    shoot(card, f"card-regular-{lang}{suffix}.png")
    wait(1300)
    shoot(card, f"card-regular-prompt-{lang}{suffix}.png")
    card.buttons["hang_up"].click()
    card.buttons["done"].click()

    call(2, "13700007777")                      # no-value after the warning
    card.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE)
    card.buttons["warn"].click()
    shoot(card, f"card-no-value-{lang}{suffix}.png")
    card.buttons["hang_up"].click()
    card.buttons["done"].click()

    call(3, "13912345678")                      # non-regular, explanations counted
    for _ in range(2):
        card.buttons["explain"].click()
    shoot(card, f"card-non-regular-{lang}{suffix}.png")
    card.buttons["explain"].click()
    shoot(card, f"card-non-regular-limit-{lang}{suffix}.png")
    card.buttons["hang_up"].click()
    shoot(card, f"card-wrapup-{lang}{suffix}.png")
    card.buttons["done"].click()

    call(4, "anonymous")                        # unknown
    shoot(card, f"card-unknown-{lang}{suffix}.png")
    card.close()


def overview(lang: str) -> None:
    """The README's picture: the card for each class side by side."""
    from PySide6.QtGui import QColor, QPainter, QPixmap

    names = ["regular-prompt", "no-value", "non-regular-limit", "unknown"]
    shots = [QPixmap(str(OUT / f"card-{n}-{lang}.png")) for n in names]
    gap = 16
    canvas = QPixmap(sum(p.width() for p in shots) + gap * (len(shots) + 1), max(p.height() for p in shots) + 2 * gap)
    canvas.fill(QColor("#dfe3e8"))
    painter = QPainter(canvas)
    x = gap
    for shot in shots:
        painter.drawPixmap(x, gap, shot)
        x += shot.width() + gap
    painter.end()
    canvas.save(str(OUT / f"overview-{lang}.png"))


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if app.platformName() != "xcb":
        print("run this under X (xvfb-run), not", app.platformName())
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("zh_CN", "en"):
            scenes(lang, 1.0, "", Path(tmp))
        for lang in ("zh_CN", "en"):
            scenes(lang, 2.0, "@2x", Path(tmp))
    for lang in ("zh_CN", "en"):
        overview(lang)


if __name__ == "__main__":
    os.environ.setdefault("HANGUP_COACH_HOME", tempfile.mkdtemp())
    main()

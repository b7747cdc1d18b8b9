"""Screenshots of the team lead's dashboard and the agent's "My day", on a generated year.

The data is `tests/support/review_history.review_db()`: 1.8 M calls of a 50-agent team, the
policy adopted on 2026-06-01 (built once and cached, ~1 min). The dashboard at a small laptop's
1024×700, 1440×1000 and 2560×1440, in both languages, drawn by Qt itself (no X server needed):
    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_dashboard_screenshots.py
"My day" is shot the same way.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hangup_coach.app.report_format import load_texts  # noqa: E402
from hangup_coach.app.resources import load_policy  # noqa: E402
from tests.support.review_history import review_db  # noqa: E402

OUT = Path(__file__).parent
OFFSET = 480   # the centre's local time, UTC+8


def wait_until(done, limit_ms: int = 120_000) -> None:
    loop, waited = QEventLoop(), [0]

    def check() -> None:
        waited[0] += 50
        if done() or waited[0] > limit_ms:
            loop.quit()
    timer = QTimer(interval=50)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()


SIZES = ((1024, 700), (1440, 1000), (2560, 1440))


def shoot(widget, name: str) -> None:
    wait_until(lambda: False, 300)   # let the layout settle and paint
    pixmap = widget.grab()
    pixmap.save(str(OUT / name))
    print("wrote", OUT / name, pixmap.width(), "x", pixmap.height())


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841
    from hangup_coach.ui.dashboard import Dashboard
    from hangup_coach.ui.my_day import MyDay

    work = Path(tempfile.mkdtemp(prefix="hc-shots-"))
    try:
        path = work / "team.db"
        shutil.copy(review_db(1_800_000), path)
        policy = load_policy()
        for lang in ("zh_CN", "en"):
            window = Dashboard(path, policy, load_texts(lang), OFFSET, date(2026, 3, 1), date(2026, 9, 30))
            window.show()
            wait_until(lambda: window.report is not None and not window.loading)
            for width, height in SIZES:
                window.resize(width, height)
                window.tabs.setCurrentIndex(0)
                share = window.charts["share"]
                share.hover_at(share.x[len(share.x) * 3 // 4])   # a read-out, as when the mouse rests on a day
                shoot(window, f"dashboard-{lang}-{width}x{height}.png")
                share.readout.hide()
            window.resize(1440, 1000)
            window.tabs.setCurrentIndex(1)
            shoot(window, f"dashboard-agents-{lang}.png")
            window.tabs.setCurrentIndex(2)
            shoot(window, f"dashboard-what-if-{lang}.png")
            window.close()
        for lang in ("zh_CN", "en"):
            day = MyDay(path, policy, load_texts(lang), "1007", date(2026, 11, 20), OFFSET)
            day.move(0, 0)
            day.show()
            wait_until(lambda: set(day.figures) == {"today", "week"})
            shoot(day, f"my-day-{lang}.png")
            day.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

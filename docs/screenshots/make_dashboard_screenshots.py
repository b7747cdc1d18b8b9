"""Screenshots of the team lead's dashboard and the agent's "My day", on a generated year.

The data is `tests/support/review_history.review_db()`: 1.8 M calls of a 50-agent team, the
policy adopted on 2026-06-01 (built once and cached, ~1 min). The dashboard at a small laptop's
1024×700, 1440×1000 and 2560×1440, in both languages, drawn by Qt itself (no X server needed):
    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_dashboard_screenshots.py
"My day" is shot the same way. At 200 % (a 2560×1440 screen scaled by 2, so the window is
1280×720 device-independent pixels): QT_SCALE_FACTOR=2 … make_dashboard_screenshots.py --200
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
AT_200 = "--200" in sys.argv   # only the 1280×720 window at 200 %: dashboard-<lang>-2560x1440@2x.png


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
            wait_until(lambda: window.report is not None and not window.loading and bool(window.hours.grid))
            for width, height in ((1280, 720),) if AT_200 else SIZES:
                window.resize(width, height)
                window.tabs.setCurrentIndex(0)
                share = window.charts["share"]
                share.hover_at(share.x[len(share.x) * 3 // 4])   # a read-out, as when the mouse rests on a day
                shoot(window, f"dashboard-{lang}-2560x1440@2x.png" if AT_200 else f"dashboard-{lang}-{width}x{height}.png")
                share.readout.hide()
            if AT_200:
                window.close()
                continue
            window.resize(1440, 1000)
            for name, tab in (("agents", window.agent_table), ("trends", window.trends.parentWidget()), ("hours", window.hours),
                              ("what-if", window.what_if_table.parentWidget())):
                window.tabs.setCurrentWidget(tab)
                if name == "trends":
                    window.trends.show_agent("1007")
                shoot(window, f"dashboard-{name}-{lang}.png")
            window.close()
        for lang in () if AT_200 else ("zh_CN", "en"):
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

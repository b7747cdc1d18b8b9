"""Screenshots of the QA windows for the README (run by hand, on a screen or under Xvfb):

    xvfb-run -a -s "-screen 0 1400x1000x24" .venv/bin/python -m tests.qa.screenshots docs/screenshots

Batch set-up, the review window on a hand-built batch (one call with a recording, answers half
typed), and the meeting sheet's printable page, in zh_CN and en.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.app.resources import load_texts
from hangup_coach.app.qa_sheet_export import sheet_html
from hangup_coach.core.policy import Policy
from hangup_coach.core.qa_recordings import RecordingSource
from hangup_coach.core.qa_sheet import Misfit, Review, roll_up
from hangup_coach.store import qa as qa_store
from hangup_coach.store.db import open_db
from hangup_coach.store.qa import BatchCall
from hangup_coach.ui.qa_batch_setup import BatchSetup
from hangup_coach.ui.qa_figure_calls import FigureCalls
from hangup_coach.ui.qa_sheet_window import SheetWindow
from hangup_coach.ui.qa_review import ReviewWindow
from tests.qa.conftest import NOW, batch_json, sample_call, tone


def settle(app: QApplication, ms: int = 300) -> None:
    QTest.qWait(ms)
    app.processEvents()


def looked_up(window, texts: dict) -> None:
    """The batch read and the call's recording looked up (both off the GUI thread)."""
    for _ in range(600):
        if window.calls and window.player.status.text() != texts["rec_loading"]:
            return
        QTest.qWait(50)


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    form = load_form("standard")
    work = Path(tempfile.mkdtemp())
    rec = work / "rec"
    rec.mkdir()
    tone(rec / "0-99@127.0.0.1.wav", seconds=95)
    for lang in ("zh_CN", "en"):
        texts = load_qa_texts(lang)
        setup = BatchSetup(texts, lang, [form], lambda body: ("", 0), date(2026, 12, 3), agents=("1001",),
                           outcomes=("agent_before_allowed",))
        setup.show()
        settle(app)
        setup.grab().save(str(out / f"qa-batch-setup-{lang}.png"))
        setup.close()

        db = open_db(work / f"{lang}.db")
        qa_store.save_batch(db, batch_json(form, 10), NOW)
        window = ReviewWindow(work / f"{lang}.db", "batch-1", form, Policy(), texts, lang, "qa-1",
                              RecordingSource.parse(f"template:{rec}/{{line_call_id}}.wav"), work / "cache", 480,
                              lambda: NOW)
        window.resize(1280, 800)
        window.show()
        looked_up(window, texts)             # the recording is looked up off the GUI thread
        settle(app)
        for key in (Qt.Key_1, Qt.Key_3, Qt.Key_2, Qt.Key_2, Qt.Key_1, Qt.Key_4):
            QTest.keyClick(window, key)
        window.player.toggle()
        QTest.qWait(2500)
        window.player.toggle()
        settle(app)
        window.grab().save(str(out / f"qa-review-{lang}.png"))
        window.close()
        db.conn.close()

        reviews = [Review(f"call-{n:03d}", f"a{n % 3}",
                          {"root_causes": [("system", "training", "process", "agent_skill")[n % 4]] + (["training"] if n % 3 == 0 else []),
                           "verdict": ("as_policy", "too_early", "as_policy", "not_applicable")[n % 4],
                           "techniques": ["empathy"] if n % 4 == 1 else []}) for n in range(10)]
        misfits = [Misfit("call-101", "a1", "customer_distressed"), Misfit("call-102", "a2", "complex_request"),
                   Misfit("call-103", "a2", "customer_distressed")]
        actions = [{"id": "x1", "title": "系统:一键查询工单状态" if lang == "zh_CN" else "System: one-click case status",
                    "kind": "system", "owner": "IT-7", "due": "2026-12-20", "status": "in_progress", "figure": "agent_share"},
                   {"id": "x2", "title": "2 秒等待话术演练" if lang == "zh_CN" else "2-second wait drill",
                    "kind": "training", "owner": "lead-1", "due": "2026-12-15", "status": "done", "figure": "early_rate"}]
        page = sheet_html(roll_up(form, reviews, misfits), form, actions, {**load_texts(lang), **texts}, lang,
                          {"id": "batch-1abcdef", "purpose": "problems"},
                          {"x1": ("21.0 %", "–"), "x2": ("12.0 %", "5.0 %")})
        sheet_window = SheetWindow({**load_texts(lang), **texts}, page, "", "sheet")
        sheet_window.resize(900, 1150)
        sheet_window.show()
        settle(app)
        sheet_window.grab().save(str(out / f"qa-meeting-sheet-{lang}.png"))
        sheet_window.close()

        # the calls behind a figure, and one of them in the review window without a batch
        calls = [BatchCall(n, f"call-{n:03d}", "1001", "agent_before_allowed",
                           {k: v for k, v in sample_call(n, "agent_before_allowed", "1001").items() if k != "outcome"},
                           f"note of call {n}") for n in range(6)]
        listing = FigureCalls(texts, "1001", date(2026, 11, 2), date(2026, 11, 8), "agent_before_allowed",
                              lambda outcome, first, last: calls if outcome == "agent_before_allowed" else [], 480)
        listing.show()
        settle(app)
        listing.grab().save(str(out / f"qa-figure-calls-{lang}.png"))
        listing.close()
        browse = ReviewWindow(work / f"browse-{lang}.db", None, form, Policy(), texts, lang, "lead-1",
                              RecordingSource.parse(f"template:{rec}/{{line_call_id}}.wav"), work / "cache", 480,
                              lambda: NOW, calls=calls)
        browse.resize(1280, 800)
        browse.show()
        looked_up(browse, texts)
        settle(app)
        browse.grab().save(str(out / f"qa-browse-{lang}.png"))
        browse.close()
        db.conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))

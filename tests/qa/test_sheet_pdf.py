"""The meeting sheet as a PDF (QTextDocument on a QPdfWriter): read back with Qt's PDF reader, its
text holds the sheet's title, counts and actions, in Chinese and English."""

from __future__ import annotations

import pytest

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.app.qa_sheet_export import sheet_html, sheet_pdf
from hangup_coach.app.resources import load_texts
from hangup_coach.core.qa_sheet import Misfit, Review, roll_up


@pytest.mark.parametrize("lang, title, action", [("zh_CN", "复盘会议表", "2 秒等待话术演练"),
                                                 ("en", "Meeting sheet", "2-second wait drill")])
def test_the_meeting_sheet_pdf_reads_back_with_its_title_counts_and_actions(qapp, tmp_path, lang, title, action):
    from PySide6.QtPdf import QPdfDocument

    form = load_form("standard")
    reviews = [Review(f"call-{n}", "a1", {"root_causes": ["training"], "verdict": "too_early"}) for n in range(7)]
    texts = {**load_texts(lang), **load_qa_texts(lang)}
    actions = [{"id": "x2", "title": action, "kind": "training", "owner": "lead-1", "due": "2026-12-15",
                "status": "done", "figure": "early_rate"}]
    page = sheet_html(roll_up(form, reviews, [Misfit("call-9", "a1", "customer_distressed")]), form, actions, texts,
                      lang, {"id": "batch-1abcdef", "purpose": "problems"}, {"x2": ("12.0 %", "5.0 %")})
    out = tmp_path / "sheet.pdf"
    pages = sheet_pdf(page, out, texts["sheet_title"])
    assert pages >= 1 and out.read_bytes().startswith(b"%PDF")
    document = QPdfDocument()
    try:
        assert document.load(str(out)) == QPdfDocument.Error.None_
        assert document.pageCount() == pages
        text = "".join(document.getAllText(p).text() for p in range(pages))
    finally:
        document.close()
        document.deleteLater()
    assert title in text and action in text and "12.0 %" in text
    assert "7" in text                      # the seven reviews' verdict count

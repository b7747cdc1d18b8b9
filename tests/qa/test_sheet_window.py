"""The meeting sheet's window: the printable page shown, written as PDF and as CSV from it, a
failed write said plainly; Esc closes it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.app.qa_sheet_export import sheet_csv, sheet_html
from hangup_coach.app.resources import load_texts
from hangup_coach.core.qa_sheet import Review, roll_up
from hangup_coach.ui.qa_sheet_window import SheetWindow


def test_the_sheet_window_shows_the_page_and_writes_it_as_pdf_and_csv(qtbot, tmp_path):
    form = load_form("standard")
    texts = {**load_texts("zh_CN"), **load_qa_texts("zh_CN")}
    sheet = roll_up(form, [Review("call-1", "a1", {"root_causes": ["system"], "verdict": "too_early"})], [])
    page = sheet_html(sheet, form, [], texts, "zh_CN", {"id": "batch-1abcdef", "purpose": "problems"}, {})
    window = SheetWindow(texts, page, sheet_csv(sheet, form, [], "zh_CN", texts, {}), "sheet-batch-1a")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "复盘会议表" in window.page.toPlainText() and window.windowTitle() == "复盘会议表"
    assert window.save(tmp_path / "sheet.pdf") and (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert window.status.text() == f"已写入:{tmp_path / 'sheet.pdf'}"
    assert window.save(tmp_path / "sheet.csv")
    assert "system" in (tmp_path / "sheet.csv").read_text(encoding="utf-8-sig")
    assert not window.save(tmp_path / "no-such-folder" / "sheet.csv")
    assert window.status.text().startswith("未能写入:")
    qtbot.keyClick(window, Qt.Key_Escape)
    assert not window.isVisible()

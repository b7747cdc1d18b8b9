"""The words a centre prints: dates as each language writes them, no pasted-in form of address."""

from datetime import datetime, timezone

import pytest

from hangup_coach.app.resources import load_scripts
from hangup_coach.core.classify import Reason
from hangup_coach.core.scripts import REQUIRED_LINES, Prompt
from hangup_coach.core.callers import SubReason


@pytest.mark.parametrize("lang, expected", [("zh_CN", "11月3日"), ("en", "Nov 3")])
def test_dates_read_as_the_language_writes_them(lang, expected):
    book = load_scripts(lang)
    closed = datetime(2026, 11, 3, 12, tzinfo=timezone.utc)
    text = book.render_reason(Reason("closed_case_repeat", {"nth": 2, "days": 7, "case": "1234", "closed": closed}),
                              tz=timezone.utc)
    assert expected in text


def test_chinese_lines_have_no_placeholder_address_and_close_with_a_closing():
    book = load_scripts("zh_CN")
    lines = [book.line(Prompt(*(k.split(".") if "." in k else (k,))[:1], SubReason(k.partition(".")[2])))
             for k in REQUIRED_LINES]
    assert not any("先生/女士" in line for line in lines)
    closing = book.line(Prompt("closing"), agent_id="1024")
    assert "很高兴为您服务" not in closing and closing.endswith("再见！")
    assert "结果不会改变" not in book.line(Prompt("explanation_limit", SubReason.CLOSED_CASE))

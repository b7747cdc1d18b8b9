import re

import pytest

from hangup_coach.app.resources import load_scripts, resource_path
from hangup_coach.core.callers import SubReason
from hangup_coach.core.scripts import REQUIRED_LINES, Prompt, ScriptBook, ScriptError


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_shipped_books_have_every_line_with_placeholders_filled(lang):
    book = load_scripts(lang)
    for key in REQUIRED_LINES:
        kind, _, sub = key.partition(".")
        text = book.line(Prompt(kind, SubReason(sub)), agent_id="1024", branch_hours="9:00–17:00")
        assert text and "{" not in text
    assert "1024" in book.line(Prompt("closing"), agent_id="1024")
    assert "9:00–17:00" in book.line(Prompt("explanation_limit", SubReason.MUST_VISIT_BRANCH), branch_hours="9:00–17:00")


def test_chinese_lines_are_chinese():
    closing = load_scripts("zh_CN").line(Prompt("closing"), agent_id="1024")
    assert re.search(r"[\u4e00-\u9fff]{4}", closing) and "再见" in closing


def shipped_text():
    return resource_path("scripts", "en.toml").read_text(encoding="utf-8")


def test_a_missing_line_is_named():
    text = shipped_text().replace("abuse = \"Please keep", "abusive = \"Please keep")
    with pytest.raises(ScriptError, match="lines.warning.abuse"):
        ScriptBook.from_toml(text)


def test_an_unknown_placeholder_is_named():
    text = shipped_text().replace("this is agent {agent_id}", "this is agent {agent_name}")
    with pytest.raises(ScriptError, match=r"lines.closing .*agent_name"):
        ScriptBook.from_toml(text)


def test_bad_toml_is_a_script_error():
    with pytest.raises(ScriptError, match="not valid TOML"):
        ScriptBook.from_toml("[lines\nclosing = 1")

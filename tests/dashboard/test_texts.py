"""Every dashboard text exists in Chinese and English, with the same placeholders."""

import re
import tomllib

from hangup_coach.app.resources import resource_path


def test_both_languages_have_every_text_with_the_same_placeholders():
    texts = {lang: tomllib.loads(resource_path("translations", f"dashboard-{lang}.toml").read_text("utf-8"))["dashboard"]
             for lang in ("zh_CN", "en")}
    assert texts["zh_CN"].keys() == texts["en"].keys()
    for key, english in texts["en"].items():
        assert set(re.findall(r"{(\w+)}", texts["zh_CN"][key])) == set(re.findall(r"{(\w+)}", english)), key

"""Every UI text exists in both languages and is used somewhere (no dead keys)."""

import re
import tomllib
from pathlib import Path

from hangup_coach.app.resources import LANGUAGES, resource_path

CODE = "\n".join(p.read_text(encoding="utf-8") for p in (Path(__file__).parents[2] / "desktop").rglob("*.py"))


def keys(lang):
    return set(tomllib.loads(resource_path("translations", f"{lang}.toml").read_text(encoding="utf-8"))["ui"])


def test_both_languages_have_the_same_texts():
    assert keys("zh_CN") == keys("en") and set(LANGUAGES) == {"zh_CN", "en"}


# Keys the code builds from a prefix and a state it knows: texts[f"store_{kind}"].
BUILT = set(re.findall(r"""f["']([a-z_]+_)\{""", CODE))


def test_every_text_is_used():
    unused = {k for k in keys("en") if not re.search(rf"[\"']{k}[\"']", CODE)
              and not any(k.startswith(prefix) for prefix in BUILT)}
    assert not unused

"""Loading the policy, scripts and UI texts shipped in `resources/` (or a centre's own copies)."""

from __future__ import annotations

import locale
import os
import tomllib
from importlib.resources import files
from pathlib import Path

from ..core.policy import Policy, PolicyError
from ..core.scripts import ScriptBook

LANGUAGES = ("zh_CN", "en")


def resource_path(*parts: str) -> Path:
    return Path(str(files("hangup_coach.resources").joinpath(*parts)))


def load_policy(path: str | os.PathLike | None = None) -> Policy:
    path = Path(path) if path else resource_path("policy.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file {path}: {exc}") from exc
    try:
        return Policy.from_toml(text)
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from exc


def system_language() -> str:
    """zh_CN unless the system locale says English (the product speaks Chinese first)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "en" if value.lower().startswith("en") else "zh_CN"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "en" if code.lower().startswith("en") else "zh_CN"


def pick_language(setting: str | None) -> str:
    return setting if setting in LANGUAGES else system_language()


def load_scripts(language: str) -> ScriptBook:
    path = resource_path("scripts", f"{language}.toml")
    return ScriptBook.from_toml(path.read_text(encoding="utf-8"), source=str(path))


def load_texts(language: str) -> dict[str, str]:
    """UI texts: `resources/translations/<lang>.toml`, English filling any gap."""
    texts: dict[str, str] = {}
    for lang in ("en", language):
        path = resource_path("translations", f"{lang}.toml")
        texts.update(tomllib.loads(path.read_text(encoding="utf-8")).get("ui", {}))
    return texts

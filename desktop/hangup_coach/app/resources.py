"""Loading the policy, scripts and UI texts shipped in `resources/` (or a centre's own copies)."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

# tomllib too is imported where a file is parsed: the card's first frame has its texts from a cache.
if TYPE_CHECKING:   # imported where used: the card's first frame needs the texts, not the policy
    from ..core.policy import Policy
    from ..core.scripts import ScriptBook

# The languages the app speaks, in the order offered, with their names in themselves.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}
LANGUAGES = tuple(LANGUAGE_NAMES)


def resource_path(*parts: str) -> Path:
    """A shipped file: the package's own folder in a source install, a wheel and the frozen bundle
    alike (importlib.resources would find the same folder, at ~8 ms of start-up)."""
    from .. import resources as shipped

    return Path(shipped.__file__).parent.joinpath(*parts)


class NotAFile(ValueError):
    """A path that is there but is not a regular file (a folder, a dangling symlink, a symlink loop):
    start-up stops naming it rather than silently going on without it."""


def regular_file(path: Path) -> bool:
    """True for a regular file (or a symlink to one); False if nothing is there; NotAFile for
    anything else that is there."""
    if path.is_file():
        return True
    if os.path.lexists(path):
        raise NotAFile(f"{path} is there but is not a readable file (a folder, or a broken or looping link): "
                       "make it a file or remove it")
    return False


def centre_file(config_dir: Path | None, *parts: str, machine_dir: Path | None = None) -> Path:
    """The centre's own copy in the user's config directory, else in IT's machine-wide folder,
    else the shipped file. Raises NotAFile for a copy that is there but not a file.

    This is how a centre changes "3 explanations" or a closing line without a release.
    """
    for folder in (config_dir, machine_dir):
        if folder is not None and regular_file(folder.joinpath(*parts)):
            return folder.joinpath(*parts)
    return resource_path(*parts)


def load_policy(path: str | os.PathLike | None = None) -> Policy:
    from ..core.policy import Policy, PolicyError

    path = Path(path) if path else resource_path("policy.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy file {path}: {exc}") from exc
    if not text.strip():
        raise PolicyError(f"the policy file {path} is empty: write the policy in it, or remove it to use the defaults")
    try:
        return Policy.from_toml(text)
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from exc


def system_language() -> str:
    """zh_CN unless the system's language is English (the product speaks Chinese first).

    QLocale reads LANG/LC_* on Unix and the user's language setting on Windows and macOS.
    """
    from PySide6.QtCore import QLocale

    return "en" if QLocale.system().name().lower().startswith("en") else "zh_CN"


def pick_language(setting: str | None) -> str:
    return setting if setting in LANGUAGES else system_language()


def load_scripts(language: str, config_dir: Path | None = None, machine_dir: Path | None = None) -> ScriptBook:
    from ..core.scripts import ScriptBook, ScriptError

    path = centre_file(config_dir, "scripts", f"{language}.toml", machine_dir=machine_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script file {path}: {exc}") from exc
    return ScriptBook.from_toml(text, source=str(path))


def load_texts(language: str, cache: Path | None = None) -> dict[str, str]:
    """UI texts: `resources/translations/<lang>.toml`, English filling any gap.

    With `cache` (a file in the user's own folder) the texts are also kept there as JSON with a
    checksum of the TOML files, and read from it while that is the same: the card's first frame
    then waits for no TOML parser (tomllib's import and the parse: ~7 ms). An unreadable or stale
    cache is made again."""
    sources = [resource_path("translations", f"{lang}.toml").read_bytes() for lang in dict.fromkeys(("en", language))]
    checksum = [zlib.crc32(source) for source in sources]
    if cache is not None:
        try:
            kept = json.loads(cache.read_text(encoding="utf-8"))
            if isinstance(kept, dict) and kept.get("checksum") == checksum and isinstance(kept.get("texts"), dict):
                return kept["texts"]
        except (OSError, ValueError):
            pass
    import tomllib

    texts: dict[str, str] = {}
    for source in sources:
        texts.update(tomllib.loads(source.decode("utf-8")).get("ui", {}))
    if cache is not None:
        try:   # whole or not at all: another card may read it meanwhile
            part = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            part.write_text(json.dumps({"checksum": checksum, "texts": texts}, ensure_ascii=False), encoding="utf-8")
            os.replace(part, cache)
        except OSError:
            pass
    return texts


def load_targets(path: str | os.PathLike | None = None) -> dict:
    """The centre's targets (`targets.toml`: shipped, or the centre's copy via `centre_file`)."""
    import tomllib

    from ..core.targets import TargetError, targets_from_toml

    path = Path(path) if path else resource_path("targets.toml")
    try:
        return targets_from_toml(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TargetError(f"cannot read the targets file {path}: {exc}") from exc
    except TargetError as exc:
        raise TargetError(f"{path}: {exc}") from exc


def load_score_scale(path: str | os.PathLike | None = None) -> tuple[float, float]:
    """The satisfaction scale (`feedback.toml` [score] min, max: shipped, or the centre's copy)."""
    import tomllib

    from ..core.policy import PolicyError

    path = Path(path) if path else resource_path("feedback.toml")
    try:
        score = tomllib.loads(path.read_text(encoding="utf-8"))["score"]
        low, high = float(score["min"]), float(score["max"])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"cannot read the score scale in {path}: {exc}") from exc
    if low >= high:
        raise PolicyError(f"{path}: the score scale's min {low:g} is not below its max {high:g}")
    return low, high


def load_teams(path: str | os.PathLike | None = None) -> dict[str, tuple[str, ...]]:
    """Teams or shifts (`teams.toml` [teams] name = [agent numbers]: shipped empty, or the centre's)."""
    import tomllib

    from ..core.policy import PolicyError

    path = Path(path) if path else resource_path("teams.toml")
    try:
        teams = tomllib.loads(path.read_text(encoding="utf-8")).get("teams", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read the teams file {path}: {exc}") from exc
    if not all(isinstance(v, list) and v and all(isinstance(a, str) for a in v) for v in teams.values()):
        raise PolicyError(f"{path}: each team is a list of agent numbers in quotes, e.g. \"A\" = [\"1001\"]")
    return {name: tuple(agents) for name, agents in teams.items()}

"""QA review on the lead's or reviewer's PC: forms from resources/qa (or the centre's own copies),
the window's words, and the batch's locked form."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..core.qa_form import Form, FormError, parse_form
from .resources import resource_path


def form_files(config_dir: Path | None = None) -> dict[str, Path]:
    """name → file: the shipped forms, then the centre's own (`<config>/qa/*.toml`) over them."""
    found: dict[str, Path] = {}
    for folder in (resource_path("qa"), config_dir / "qa" if config_dir else None):
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return found


def load_form(name: str, config_dir: Path | None = None) -> Form:
    path = form_files(config_dir).get(name)
    if path is None:
        raise FormError(f"no form named {name!r} (forms: {', '.join(form_files(config_dir)) or 'none'})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(f"cannot read the form {path}: {exc}") from exc
    form = parse_form(text, str(path))
    if form.name != name:
        raise FormError(f"{path}: the file says name = {form.name!r}; name the file {form.name}.toml")
    return form


def batch_form(batch: dict, config_dir: Path | None = None) -> Form:
    """The form a batch locked. The batch carries the form's text; a form of the same name and
    version on this PC that asks something else is refused (FormError), never silently mixed."""
    locked = parse_form(batch["form_source"], f"batch {batch['id']}")
    if locked.fingerprint != batch["form_fingerprint"]:
        raise FormError(f"batch {batch['id']}: its form text does not match its fingerprint")
    try:
        local = load_form(batch["form_name"], config_dir)
    except FormError:
        return locked   # this PC lacks the form: the batch's copy is the agreed one
    if local.version == locked.version and local.fingerprint != locked.fingerprint:
        raise FormError(f"the form {local.name!r} v{local.version} on this PC differs from the one batch "
                        f"{batch['id']} locked: raise the form's version for a changed form")
    return locked


def load_qa_texts(language: str) -> dict[str, str]:
    """The QA windows' words (`resources/translations/qa-<lang>.toml`), English filling gaps."""
    texts: dict[str, str] = {}
    for lang in ("en", language):
        path = resource_path("translations", f"qa-{lang}.toml")
        texts.update(tomllib.loads(path.read_text(encoding="utf-8"))["ui"])
    return texts

"""QA review forms as data (`resources/qa/*.toml`): the declared schema, validation, answers.

The seed's third question before listening: how will the results be recorded? A table agreed in
advance, *preset options rather than free text*, so hundreds of reviews can be counted. A form
is a list of fields, each one of:

- `choice`: exactly one of its preset options;
- `multi`: any number of its preset options (root causes: several may apply);
- `score`: an integer from `min` to `max`;
- `text`: free text, only where the form declares such a field, at most `max_length` characters.

A field may carry a `role` the meeting sheet reads: `root_causes`, `verdict` or `technique`.
A batch locks the form's name, version and fingerprint (`Form.fingerprint`): a form changed
under the same version no longer matches a batch drawn with it, and is refused.

Pure: parses TOML text handed in; reading the file is the caller's job.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = ("choice", "multi", "score", "text")
ROLES = ("root_causes", "verdict", "technique")
LANGS = ("zh_CN", "en")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
TEXT_LIMIT = 2000


class FormError(ValueError):
    """The form file (or a review's answers) does not follow the schema; the message names the field."""


@dataclass(frozen=True)
class Option:
    key: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True)
class FormField:
    key: str
    type: str
    section: str
    labels: dict[str, str]
    options: tuple[Option, ...] = ()
    required: bool = True
    role: str = ""
    min: int = 0
    max: int = 0
    max_length: int = 0

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    def option(self, key: str) -> Option:
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)


@dataclass(frozen=True)
class Section:
    key: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True)
class Form:
    name: str
    version: int
    titles: dict[str, str]
    sections: tuple[Section, ...]
    fields: tuple[FormField, ...]
    source: str = field(default="", compare=False)   # the TOML text, kept so a batch can carry it

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["en"]

    def field(self, key: str) -> FormField:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def by_role(self, role: str) -> FormField | None:
        return next((f for f in self.fields if f.role == role), None)

    @property
    def fingerprint(self) -> str:
        """What the form asks, hashed (labels' wording included): a batch stores it and refuses a change."""
        import hashlib   # here: it loads OpenSSL's libcrypto (3.5 MiB), which the agent's card never needs

        canon = {"name": self.name, "version": self.version, "sections": [(s.key, s.labels) for s in self.sections],
                 "fields": [(f.key, f.type, f.section, f.labels, [(o.key, o.labels) for o in f.options],
                             f.required, f.role, f.min, f.max, f.max_length) for f in self.fields]}
        return hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]

    def check_answers(self, answers: Any) -> dict:
        """A review's answers, checked against the form; FormError names the first wrong field."""
        if not isinstance(answers, dict):
            raise FormError("answers must be a table of field → answer")
        known = {f.key for f in self.fields}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise FormError(f"answer to unknown field(s) {', '.join(map(repr, unknown))} (form {self.name!r})")
        out = {}
        for f in self.fields:
            value = answers.get(f.key)
            if value is None or value == [] or value == "":
                if f.required:
                    raise FormError(f"field {f.key!r} needs an answer")
                continue
            out[f.key] = _check_answer(f, value)
        return out

    def missing(self, answers: dict) -> list[str]:
        """The required fields not answered yet (the review window says which)."""
        return [f.key for f in self.fields if f.required and answers.get(f.key) in (None, [], "")]


def _check_answer(f: FormField, value: Any):
    keys = [o.key for o in f.options]
    if f.type == "choice":
        if value not in keys:
            raise FormError(f"field {f.key!r}: {value!r} is not one of its options ({', '.join(keys)})")
        return value
    if f.type == "multi":
        if not isinstance(value, list) or any(v not in keys for v in value):
            raise FormError(f"field {f.key!r}: expects a list of its options ({', '.join(keys)})")
        return [k for k in keys if k in value]   # the form's order, each once
    if f.type == "score":
        if isinstance(value, bool) or not isinstance(value, int) or not f.min <= value <= f.max:
            raise FormError(f"field {f.key!r}: expects a whole number from {f.min} to {f.max}")
        return value
    if not isinstance(value, str) or len(value) > f.max_length:
        raise FormError(f"field {f.key!r}: expects text of at most {f.max_length} characters")
    return value


def _labels(raw: dict, where: str) -> dict[str, str]:
    labels = {lang: raw[lang] for lang in LANGS if isinstance(raw.get(lang), str) and raw[lang].strip()}
    if "en" not in labels or "zh_CN" not in labels:
        raise FormError(f"{where} needs a label in zh_CN and en")
    return labels


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise FormError(f"{where}: key {value!r} must be a lower-case key (a-z, 0-9, _)")
    return value


def parse_form(text: str, source_name: str = "form") -> Form:
    """Parse and validate a form's TOML; FormError says where (the field's key) and what is wrong."""
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))   # Windows editors write a BOM
    except tomllib.TOMLDecodeError as exc:
        raise FormError(f"{source_name}: not valid TOML: {exc}") from None
    try:
        return _form(raw, text)
    except FormError as exc:
        raise FormError(f"{source_name}: {exc}") from None


def _form(raw: dict, text: str) -> Form:
    allowed = {"name", "version", "title", "sections", "fields"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise FormError(f"unknown top-level key(s) {', '.join(unknown)}")
    name = _key(raw.get("name"), "the form's name")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormError("version must be a whole number ≥ 1")
    titles = _labels(raw.get("title") or {}, "the form's title")
    sections = []
    for i, s in enumerate(raw.get("sections") or []):
        sections.append(Section(_key(s.get("key"), f"section {i + 1}"), _labels(s, f"section {s.get('key')!r}")))
    section_keys = {s.key for s in sections}
    if len(section_keys) != len(sections):
        raise FormError("two sections have the same key")
    fields: list[FormField] = []
    for i, f in enumerate(raw.get("fields") or []):
        fields.append(_field(f, i, section_keys))
    if not fields:
        raise FormError("the form has no fields")
    keys = [f.key for f in fields]
    for k in keys:
        if keys.count(k) > 1:
            raise FormError(f"field {k!r} appears twice")
    for role in ROLES:
        if sum(f.role == role for f in fields) > 1:
            raise FormError(f"two fields have the role {role!r}")
    return Form(name, version, titles, tuple(sections), tuple(fields), source=text)


def _field(f: Any, index: int, sections: set[str]) -> FormField:
    if not isinstance(f, dict):
        raise FormError(f"field {index + 1} must be a table")
    key = _key(f.get("key"), f"field {index + 1}")
    allowed = {"key", "type", "section", "zh_CN", "en", "options", "required", "role", "min", "max", "max_length"}
    unknown = sorted(set(f) - allowed)
    if unknown:
        raise FormError(f"field {key!r}: unknown key(s) {', '.join(unknown)}")
    kind = f.get("type")
    if kind not in FIELD_TYPES:
        raise FormError(f"field {key!r}: unknown field type {kind!r} (use {', '.join(FIELD_TYPES)})")
    section = f.get("section")
    if section not in sections:
        raise FormError(f"field {key!r}: section {section!r} is not declared under [[sections]]")
    role = f.get("role", "")
    if role and role not in ROLES:
        raise FormError(f"field {key!r}: unknown role {role!r} (use {', '.join(ROLES)})")
    required = f.get("required", True)
    if not isinstance(required, bool):
        raise FormError(f"field {key!r}: required must be true or false")
    options: list[Option] = []
    low = high = length = 0
    if kind in ("choice", "multi"):
        raw_options = f.get("options")
        if not raw_options:
            raise FormError(f"field {key!r}: a {kind} field needs its preset options (missing preset)")
        for j, o in enumerate(raw_options):
            if not isinstance(o, dict):
                raise FormError(f"field {key!r}: option {j + 1} must be a table {{key, zh_CN, en}}")
            okey = _key(o.get("key"), f"field {key!r} option {j + 1}")
            options.append(Option(okey, _labels(o, f"field {key!r} option {okey!r}")))
        if len({o.key for o in options}) != len(options):
            raise FormError(f"field {key!r}: two options have the same key")
        if len(options) > 9:
            raise FormError(f"field {key!r}: at most 9 options (one digit key each)")
        if role == "verdict" and kind != "choice":
            raise FormError(f"field {key!r}: the verdict is one choice")
    elif "options" in f:
        raise FormError(f"field {key!r}: a {kind} field has no options")
    if kind == "score":
        low, high = f.get("min"), f.get("max")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 0 <= low < high <= 9:
            raise FormError(f"field {key!r}: a score needs whole min < max between 0 and 9")
    if kind == "text":
        length = f.get("max_length", 500)
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= TEXT_LIMIT:
            raise FormError(f"field {key!r}: max_length must be 1 to {TEXT_LIMIT}")
        if role:
            raise FormError(f"field {key!r}: a text field cannot carry a role (it could not be counted)")
    return FormField(key, kind, section, _labels(f, f"field {key!r}"), tuple(options), required, role,
                     low or 0, high or 0, length)

"""Decoding one JSON object from bytes off the wire, with one error type for every way it can fail."""

from __future__ import annotations

import json

from ..core.text import valid_unicode


class BadMessage(ValueError):
    """A message that cannot be used: logged and skipped, never fatal."""


def json_object(payload: bytes) -> dict:
    try:
        value = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadMessage(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, absurd numbers, deep nesting
        raise BadMessage(f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(value, dict):
        raise BadMessage(f"JSON {type(value).__name__}, not an object")
    return _valid(value)


def _valid(value):
    """Every string in the message made valid Unicode: JSON may spell a lone surrogate ("\\ud83d"),
    which a JavaScript bridge sends when it cuts a string inside an emoji, and SQLite cannot store."""
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {valid_unicode(k): _valid(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid(v) for v in value]
    return value


def optional_str(msg: dict, key: str) -> str:
    value = msg.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadMessage(f"{key!r} is {type(value).__name__}, not a string")
    return value

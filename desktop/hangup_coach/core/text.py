"""Text from outside (softphones, CTI bridges, pasted numbers, typed notes) made safe for the core
and the store. Pure: no Qt, no files.

Every string that enters from an edge goes through `clean_line` (one-line fields: call ids, numbers,
reasons) or `clean_text` (notes). Both return valid Unicode (a lone UTF-16 surrogate, what a
JavaScript bridge sends when it cuts a string inside an emoji, becomes U+FFFD) of bounded length.
"""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"

# Field limits, in characters. A call id is a SIP Call-ID or a bridge's key (RFC 3261 sets no limit;
# real ones are < 100); a reason is the line's close text, kept for QA.
CALL_ID_LIMIT = 200
NUMBER_LIMIT = 64
REASON_LIMIT = 500
NOTE_LIMIT = 20_000   # ~10 pages: a call note, not a document

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")       # C0 controls and DEL, but \t and \n
_LINE_BREAKS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates: in a one-line field (a call id) they would
# reorder what is shown and make two equal-looking ids differ.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def valid_unicode(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (so it encodes as UTF-8)."""
    return _SURROGATE.sub(REPLACEMENT, text)


def clean_line(value: object, limit: int) -> str:
    """A one-line field: valid Unicode, controls and line breaks as spaces, no bidirectional
    overrides, stripped, at most `limit`."""
    text = _BIDI_CONTROLS.sub("", valid_unicode(_as_str(value)))
    text = _CONTROL.sub(" ", _LINE_BREAKS.sub(" ", text)).strip()
    return text[:limit]


def clean_text(value: object, limit: int = NOTE_LIMIT) -> str:
    """Multi-line text (a note): valid Unicode, no control characters but tab and newline, at most `limit`."""
    text = valid_unicode(_as_str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)[:limit]


def number_text(value: object) -> str:
    """A pasted or signalled phone number made plain before parsing: NFKC (full-width digits and
    spaces become ASCII), digits of every script ASCII (Arabic-Indic ٠١٢, which NFKC leaves),
    formatting characters (Cf: left-to-right marks, zero-width spaces) dropped, every kind of space
    or tab a single space."""
    text = unicodedata.normalize("NFKC", clean_line(value, NUMBER_LIMIT * 2))
    text = "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch
                   for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _as_str(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)

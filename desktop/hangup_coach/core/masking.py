"""The one rule that keeps full phone numbers out of logs: the card's log and the server's access
log both write every line through `mask_numbers`. Pure: no Qt, no files.

Masked: any run of 7 or more digits, wherever it stands (after `sip:`, a letter, `_`, `%2B`, inside
an id), in any digit script (ASCII, full-width, Arabic-Indic…), with at most two separators between
digits (spaces of every kind, dashes, dots, slashes, brackets: `138 0013 8000`, `138.0013.8000`,
`(010) 8888-6666`). At most 7 of its digits stay: the first 3 and last 4 (`138****8000`, as on
screen; `+8613800138000` too), the first 2 and last 2 of a number of 7 or 8 digits.

Left readable (what an engineer needs in a log and cannot be a phone number):
- anything with fewer than 7 digits: counts, sequence numbers, ports, versions, times (`12:34:56`,
  colons do not join digits), durations;
- ISO dates (`2026-11-23`, with a time after them or not);
- UUIDs (the card's call ids, 8-4-4-4-12 hexadecimal);
- IPv4 addresses (`127.0.0.1`).
"""

from __future__ import annotations

import re
import unicodedata

MIN_DIGITS = 7   # the shortest local number (a landline without its area code)

_SEPARATOR = r"[ \u00a0\u2007\u2009\u202f\u3000\-\u2010-\u2014./()]"
_DIGITS = rf"\+?\d(?:{_SEPARATOR}{{0,2}}\d)*"
_READABLE = "|".join((
    r"(?<![\w-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])",   # UUID
    r"(?<![0-9.])(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?![0-9]|[-./][0-9])",  # date
    r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])",                                      # IPv4
))
_TOKEN = re.compile(rf"(?P<readable>{_READABLE})|(?P<digits>{_DIGITS})")


def mask_numbers(text: str) -> str:
    """`text` with every run of digits that could be a phone number masked (see the module)."""
    return _TOKEN.sub(_masked, text)


def _masked(match: re.Match) -> str:
    if match.group("readable"):
        return match.group()
    run = match.group()
    digits = "".join(str(unicodedata.digit(ch)) for ch in run if ch.isdigit())
    if len(digits) < MIN_DIGITS:
        return run
    if run.startswith("+86") and len(digits) == 13:   # a Chinese number in E.164, as on screen
        digits = digits[2:]
    keep = (2, 2) if len(digits) <= 8 else (3, 4)
    return digits[:keep[0]] + "*" * (len(digits) - sum(keep)) + digits[-keep[1]:]

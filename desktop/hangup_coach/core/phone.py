"""Phone numbers: E.164 normalisation (via the phonenumbers library) and on-screen masking."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import number_text

_WITHHELD = {"", "anonymous", "unknown", "unavailable", "private", "restricted", "withheld"}
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")   # what phonenumbers makes +86… of: read without it, 100× faster


@dataclass(frozen=True)
class Number:
    raw: str
    e164: str | None  # None: withheld, or not a phone number at all

    @property
    def known(self) -> bool:
        return self.e164 is not None


def normalise(raw: str | None, region: str = "CN") -> Number:
    """Turn what a softphone or an agent gave us into E.164, or mark it unknown.

    Never raises: a withheld number, letters or garbage give `e164=None`. What a CRM pastes is made
    plain first (full-width digits, no-break spaces, tabs, left-to-right marks: `text.number_text`).
    """
    text = number_text(raw)
    if region == "CN" and _CN_MOBILE.fullmatch(text):   # most numbers a Chinese centre sees (a file of a million)
        return Number(text, "+86" + text)
    if text.lower() in _WITHHELD or len(text) > 40:
        return Number(text[:40], None)
    # Letters are not a number (phonenumbers would map vanity letters to digits).
    if not re.fullmatch(r"[+0-9 ()\-.]+", text):
        return Number(text, None)
    if text.startswith("00"):
        text = "+" + text[2:]
    phonenumbers = _phonenumbers()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Number(text, None)
    if not phonenumbers.is_possible_number(parsed):
        return Number(text, None)
    return Number(text, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def caller_id_forms(e164: str) -> tuple[str, ...]:
    """The ways a trunk may present this number as caller ID: +8613800138000, 8613800138000,
    13800138000 and 013800138000 (national with the trunk prefix 0). A SIP proxy matches caller IDs
    exactly, so a block is written under each form."""
    phonenumbers = _phonenumbers()
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return (e164,)
    dialled = re.sub(r"[^0-9]", "", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    forms = [e164, e164.lstrip("+"), str(parsed.national_number), dialled]
    return tuple(dict.fromkeys(forms))


def known_region(code: str) -> bool:
    """A region the number library knows ("CN", "US"…): what numbers without a country code are read as."""
    return code in _phonenumbers().SUPPORTED_REGIONS


def mask(e164: str | None, region: str = "CN") -> str:
    """138****8000 for a Chinese mobile; keep the first 3 and last 4 national digits."""
    if not e164:
        return "—"
    phonenumbers = _phonenumbers()
    try:
        parsed = phonenumbers.parse(e164, None)
        national = str(parsed.national_number)
        prefix = "" if phonenumbers.region_code_for_number(parsed) == region else f"+{parsed.country_code} "
    except phonenumbers.NumberParseException:
        national, prefix = e164.lstrip("+"), ""
    if len(national) <= 7:
        return prefix + national[:2] + "*" * max(0, len(national) - 4) + national[-2:]
    return prefix + national[:3] + "*" * (len(national) - 7) + national[-4:]


def _phonenumbers():
    """The library, imported on first use: its import (~50 ms) stays off the path to the card
    appearing. The app warms it up right after the card is shown (launch/main.py)."""
    import phonenumbers

    return phonenumbers

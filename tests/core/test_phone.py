import re

from hypothesis import given, strategies as st

from hangup_coach.core.phone import mask, normalise


def test_a_mobile_written_four_ways_is_one_number():
    for raw in ("13800138000", "+86 138 0013 8000", "008613800138000", "138-0013-8000"):
        assert normalise(raw).e164 == "+8613800138000"


def test_landline_and_foreign_numbers():
    assert normalise("010-12345678").e164 == "+861012345678"
    assert normalise("+1 415 555 2671").e164 == "+14155552671"


def test_withheld_or_garbage_is_unknown():
    for raw in (None, "", "anonymous", "Private", "abc123", "1380013800O", "12", "9" * 60, "sip:x@y"):
        assert normalise(raw).e164 is None


def test_masking_hides_the_middle():
    assert mask("+8613800138000") == "138****8000"
    assert mask("+14155552671") == "+1 415***2671"
    assert mask(None) == "—"


@given(st.text(max_size=80))
def test_normalise_never_raises(text):
    number = normalise(text)
    assert number.e164 is None or number.e164.startswith("+")


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_masked_mobile_shows_at_most_seven_digits(raw):
    shown = mask(normalise(raw).e164)
    assert len(re.findall(r"\d", shown)) <= 7 and raw not in shown


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_the_mobile_fast_path_gives_what_the_library_gives(raw):
    import phonenumbers

    parsed = phonenumbers.parse(raw, "CN")
    assert normalise(raw).e164 == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

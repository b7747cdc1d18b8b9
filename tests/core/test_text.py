"""Text at the edges: valid Unicode, bounded, and numbers made plain before parsing (issue 10, item 5)."""

from hypothesis import given
from hypothesis import strategies as st

from hangup_coach.core.phone import normalise
from hangup_coach.core.text import NOTE_LIMIT, clean_line, clean_text, number_text, valid_unicode


@given(st.text(st.characters(exclude_categories=())))
def test_any_text_becomes_encodable_and_bounded(text):
    for cleaned in (clean_line(text, 50), clean_text(text)):
        cleaned.encode("utf-8")                       # never raises
    assert len(clean_line(text, 50)) <= 50 and "\n" not in clean_line(text, 50)


def test_a_lone_surrogate_becomes_the_replacement_character():
    assert valid_unicode("BYE \ud83d") == "BYE \ufffd"
    assert clean_line("c1\ud83d\x00\n", 200) == "c1\ufffd"
    assert clean_text("line 1\r\nline 2\x07", NOTE_LIMIT) == "line 1\nline 2"


def test_a_call_id_is_length_limited():
    assert len(clean_line("x" * 100_000, 200)) == 200


def test_numbers_pasted_from_a_crm_are_read():
    for pasted in ("１３８００１３８０００", "138\u00a00013\u00a08000", "\u200e13800138000\u200f",
                   "138\t0013\t8000", "\u2060+86\u3000138 0013 8000\ufeff", "１３８－００１３－８０００"):
        assert number_text(pasted).replace(" ", "").replace("-", "").lstrip("+86") == "13800138000", pasted
        assert normalise(pasted).e164 == "+8613800138000", pasted
    assert normalise("138\ud83d0013").e164 is None         # garbage stays unknown, never raises


def test_arabic_indic_digits_are_read_like_full_width_ones():
    # full-width digits were normalised but Arabic-Indic ones left the number unknown
    for written in ("١٣٨٠٠١٣٨٠٠٠", "۱۳۸۰۰۱۳۸۰۰۰", "१३८००१३८०००"):
        assert normalise(written).e164 == "+8613800138000", written


def test_a_right_to_left_override_does_not_stay_in_a_call_id():
    assert clean_line("call-\u202e1234\u202c", 200) == "call-1234"
    assert clean_line("\u2067abc\u2069", 200) == "abc"

"""The libphonenumber shortcuts give exactly what the public calls give."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from sakari_sync.stages.phone_shortcuts import classify, parse_digits
from tests.transform.strategies import EXAMPLE_NUMBERS, digit_strings, regions


def _public(number: phonenumbers.PhoneNumber) -> tuple[bool, str | None, int]:
    return (
        phonenumbers.is_valid_number(number),
        phonenumbers.region_code_for_number(number),
        phonenumbers.number_type(number),
    )


def _agrees_with_parse(text: str, region: str | None) -> None:
    shortcut = parse_digits(text, region)
    if shortcut is None:
        return
    number, number_region, number_type = shortcut
    assert number == phonenumbers.parse(text, region)
    valid, public_region, public_type = _public(number)
    assert (number_type != PhoneNumberType.UNKNOWN) == valid
    if valid:
        assert (number_region, number_type) == (public_region, public_type)


def test_classify_matches_the_public_calls_on_every_example_number():
    """Region and type equal region_code_for_number / number_type; UNKNOWN iff not is_valid_number."""
    for number in EXAMPLE_NUMBERS:
        region, number_type = classify(number)
        valid, public_region, public_type = _public(number)
        assert (region, number_type) == (public_region, public_type)
        assert (number_type != PhoneNumberType.UNKNOWN) == valid


@settings(max_examples=500, deadline=None)
@given(text=digit_strings)
def test_classify_matches_the_public_calls_on_random_numbers(text):
    """Also for the invalid numbers random digits make."""
    try:
        number = phonenumbers.parse("+" + text.lstrip("+"), None)
    except phonenumbers.NumberParseException:
        return
    region, number_type = classify(number)
    valid, public_region, public_type = _public(number)
    assert number_type == public_type
    assert (number_type != PhoneNumberType.UNKNOWN) == valid
    if valid:
        assert region == public_region


def test_parse_digits_agrees_with_parse_on_every_example_number():
    """E.164, bare international and national digits of every example number, from several regions."""
    for number in EXAMPLE_NUMBERS:
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        national = "".join(
            c for c in phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL) if c.isdigit()
        )
        home = phonenumbers.region_code_for_number(number)
        for text in (e164, e164[1:], national):
            for region in (home, "US", "GB", None):
                _agrees_with_parse(text, region)


@settings(max_examples=500, deadline=None)
@given(text=digit_strings, region=st.none() | regions | st.sampled_from(["us", "XX", "001"]))
def test_parse_digits_agrees_with_parse_on_random_digits(text, region):
    """Whenever the shortcut answers, parse gives the same number (and does not raise)."""
    _agrees_with_parse(text, region)


def test_parse_digits_answers_the_common_shapes():
    """The shapes it exists for do take the shortcut."""
    for text, region in (
        ("+14155550123", "US"),
        ("4155550123", "US"),
        ("07400123456", "GB"),
        ("+447400123456", None),
    ):
        assert parse_digits(text, region) is not None

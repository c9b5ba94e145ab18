"""The libphonenumber shortcuts give exactly what the public calls give."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import _number_type_helper  # the definition the shortcut must equal

from sakari_sync.stages.phone_shortcuts import classify, parse_digits
from sakari_sync.stages.phone_types import number_type
from tests.transform.strategies import EXAMPLE_NUMBERS, REGIONS, digit_strings, regions

_EVERY_METADATA = [
    metadata
    for metadata in [PhoneMetadata.metadata_for_region(region) for region in REGIONS]
    + [
        PhoneMetadata.metadata_for_nongeo_region(code)
        for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
    ]
    if metadata is not None
]


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
    country_code, nsn, number_region, found_type = shortcut
    number = PhoneNumber(country_code=country_code, national_number=int(nsn))
    assert number == phonenumbers.parse(text, region)
    assert f"+{country_code}{nsn}" == phonenumbers.format_number(number, PhoneNumberFormat.E164)
    valid, public_region, public_type = _public(number)
    assert (found_type != PhoneNumberType.UNKNOWN) == valid
    if valid:
        assert (number_region, found_type) == (public_region, public_type)


def test_number_type_matches_the_library_on_every_example_number_in_every_region():
    """One combined pattern per (region, length) gives the type phonenumbers' own helper gives."""
    for number in EXAMPLE_NUMBERS:
        nsn = phonenumbers.national_significant_number(number)
        for metadata in _EVERY_METADATA:
            assert number_type(nsn, metadata) == _library_type(nsn, metadata)


@settings(max_examples=300, deadline=None)
@given(nsn=st.text("0123456789", min_size=1, max_size=17))
def test_number_type_matches_the_library_on_random_digits(nsn):
    """Also for arbitrary digits, in every region and non-geographic entity."""
    for metadata in _EVERY_METADATA:
        assert number_type(nsn, metadata) == _library_type(nsn, metadata)


def _library_type(nsn: str, metadata: PhoneMetadata) -> int:
    """phonenumbers' own check: the helper `number_type` and `is_valid_number` call for a region."""
    return int(_number_type_helper(nsn, metadata))


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
        for text in (e164, e164[1:], national, "00" + e164[1:], "011" + e164[1:], "0" + national):
            for region in (home, "US", "GB", "DE", "BR", None):
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
        ("00447400123456", "GB"),
        ("011447400123456", "US"),
        ("14155550123", "US"),
        ("447400123456", "GB"),
        ("5511912345678", "BR"),
    ):
        assert parse_digits(text, region) is not None

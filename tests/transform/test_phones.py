"""normalize_phone: the documented decisions, and its invariants over arbitrary input."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from sakari_sync.stages.phones import SMS_CAPABLE_TYPES, normalize_column, normalize_phone, resolve_region
from sakari_sync.stages.transform import REJECT_REASONS
from tests.transform.strategies import any_cell, formatted_numbers, phone_like_text, regions

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@pytest.mark.parametrize(
    ("raw", "region", "e164", "reason"),
    [
        ("+1 415 555 0123 ext. 45", "US", "+14155550123", None),
        ("415-555-0123 x 7", "US", "+14155550123", None),
        ("1-800-FLOWERS", "US", None, "unparseable_phone"),
        ("4155550123 / 4155550124", "US", None, "ambiguous_phone"),
        ("+44 7400 123456 and +44 7400 123457", "US", None, "ambiguous_phone"),
        ("４１５５５５０１２３", "US", "+14155550123", None),
        ("07400 123456", None, None, "bad_country"),
        ("+44 7400 123456", None, "+447400123456", None),
        ("+1 800 555 0199", "US", None, "not_mobile"),
        ("+882 1234 567890", "US", None, "invalid_phone"),
        ("+800 1234 5678", "US", None, "non_geographic"),
        ("", "US", None, "missing_phone"),
        (None, "US", None, "missing_phone"),
        (1.5, "US", None, "unparseable_phone"),
    ],
)
def test_normalize_phone_decisions(raw, region, e164, reason):
    """Extensions kept as the main number, letters and two numbers refused, toll-free not mobile…"""
    result = normalize_phone(raw, region, reject_fixed_line=True)
    assert (result.e164, result.reason) == (e164, reason)


def test_dropped_extension_is_noted():
    """A kept number whose extension was dropped says so in `detail`."""
    assert normalize_phone("4155550123 ext 9", "US", reject_fixed_line=True).detail == "extension dropped"


def test_region_is_the_numbers_own_region():
    """A +country number keeps its region whatever the default region; +1 604 is Canada."""
    assert normalize_phone("+1 604 555 5555", "GB", reject_fixed_line=True).region == "CA"
    assert normalize_phone("+44 7400 123456", "US", reject_fixed_line=True).region == "GB"


def test_fixed_line_or_mobile_is_kept_and_fixed_line_is_not():
    """US numbers cannot be told apart (kept); a GB landline is refused unless the check is off."""
    assert normalize_phone("(415) 555-0123", "US", reject_fixed_line=True).line_type == "fixed_line_or_mobile"
    assert normalize_phone("+44 20 7946 0958", "US", reject_fixed_line=True).reason == "not_mobile"
    kept = normalize_phone("+44 20 7946 0958", "US", reject_fixed_line=False)
    assert (kept.e164, kept.line_type) == ("+442079460958", "fixed_line")


@pytest.mark.parametrize(
    "number_type",
    [value for name, value in vars(PhoneNumberType).items() if name.isupper() and name != "UNKNOWN"],
)
def test_line_types_kept_with_reject_fixed_line(number_type):
    """MOBILE, FIXED_LINE_OR_MOBILE and VOIP are kept; every other valid type is not_mobile."""
    numbers = [
        number
        for region in ("GB", "DE", "FR", "US", "AU", "IN", "JP", "BR")
        if (number := phonenumbers.example_number_for_type(region, number_type)) is not None
        and phonenumbers.number_type(number) == number_type
    ]
    for number in numbers:
        result = normalize_phone(
            phonenumbers.format_number(number, PhoneNumberFormat.E164), None, reject_fixed_line=True
        )
        assert (result.reason is None) == (number_type in SMS_CAPABLE_TYPES), result


@pytest.mark.parametrize(
    ("value", "region"),
    [("gb", "GB"), (" UK ", "GB"), ("De", "DE"), ("Narnia", None), (44, None), ("", None)],
)
def test_resolve_region(value, region):
    """ISO 3166 alpha-2 in any case and padding, 'UK' as GB; anything else is no region."""
    assert resolve_region(value) == region


@settings(max_examples=300, deadline=None)
@given(raw=phone_like_text, region=regions, again=regions, reject_fixed_line=st.booleans())
def test_normalising_twice_changes_nothing(raw, region, again, reject_fixed_line):
    """A kept number, normalised again from its E.164 form with any region, is the same result."""
    first = normalize_phone(raw, region, reject_fixed_line=reject_fixed_line)
    if first.e164 is not None:
        second = normalize_phone(first.e164, again, reject_fixed_line=reject_fixed_line)
        assert (second.e164, second.reason, second.region, second.line_type) == (
            first.e164,
            None,
            first.region,
            first.line_type,
        )


@settings(max_examples=300, deadline=None)
@given(pair=formatted_numbers())
def test_real_numbers_in_any_format_agree_with_phonenumbers(pair):
    """A valid example number in any standard format gives libphonenumber's own E.164 and region,
    unless Sakari could not take it (non-geographic, or not 8 to 15 digits)."""
    text, region = pair
    number = phonenumbers.parse(text, region)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    result = normalize_phone(text, region, reject_fixed_line=False)
    home = phonenumbers.region_code_for_number(number)
    if phonenumbers.is_valid_number(number) and home != "001" and E164.match(e164):
        assert (result.e164, result.region) == (e164, home)
    else:
        assert result.e164 is None


def _valid_e164(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return (
        phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number)
        else None
    )


@settings(max_examples=500, deadline=None)
@given(text=st.from_regex(r"\A\+?[ ().\-]*[0-9][0-9 ().\-]*\Z"), region=regions)
def test_dropping_spaces_brackets_dots_and_dashes_changes_no_parse(text, region):
    """The fast path strips that formatting before parsing; libphonenumber finds the same valid number."""
    assert _valid_e164(text, region) == _valid_e164(text.translate(str.maketrans("", "", " ().-")), region)


@settings(max_examples=500, deadline=None)
@given(raw=any_cell, region=st.none() | regions, reject_fixed_line=st.booleans())
def test_every_output_is_e164_or_a_reason(raw, region, reject_fixed_line):
    """Whatever the cell holds, the result is an E.164 number, or no number and a known reason."""
    result = normalize_phone(raw, region, reject_fixed_line=reject_fixed_line)
    if result.e164 is not None:
        assert E164.match(result.e164)
        assert result.reason is None
        assert result.region not in (None, "", "001")
    else:
        assert result.reason in REJECT_REASONS
        assert result.detail


_PLAIN_TEXT = st.from_regex(r"\A\+?[ ().\-]*[0-9][0-9 ().\-]*\Z").filter(lambda text: len(text) < 200)


@settings(max_examples=300, deadline=None)
@given(text=_PLAIN_TEXT, pad=st.sampled_from([" ", "\t", "\u00a0", " \r\n"]), region=regions)
def test_surrounding_whitespace_changes_nothing(text, pad, region):
    """A padded number (a tab from a spreadsheet, say) gives exactly what the bare one gives."""
    assert normalize_phone(pad + text + pad, region, reject_fixed_line=True) == normalize_phone(
        text, region, reject_fixed_line=True
    )


_COUNTRIES = st.none() | st.sampled_from(["US", "gb", " de ", "UK", "Narnia", "", "  "]) | any_cell


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(st.tuples(phone_like_text | any_cell, _COUNTRIES), max_size=10))
def test_a_column_gives_each_cell_its_own_result(cells):
    """Parsing each distinct (text, country) once per column gives every row what it alone would give,
    repeated values included."""
    raws = [raw for raw, _ in cells] * 2
    countries = [country for _, country in cells] * 2
    together = normalize_column(raws, countries, "US", reject_fixed_line=True)
    alone = [
        normalize_column([r], [c], "US", reject_fixed_line=True)[0]
        for r, c in zip(raws, countries, strict=True)
    ]
    assert together == alone


def test_the_country_column_reads_national_numbers_only():
    """A row's country reads its national number; a +country number keeps its own region; a country
    that is not a code rejects only a number that needs it; an empty one means the default region."""
    raws = ["07400 123456", "+1 415 555 0123", "07400 123456", "4155550123", "(415) 555-0123"]
    countries = ["gb", "GB", "Narnia", "  ", None]
    results = normalize_column(raws, countries, "US", reject_fixed_line=True)
    assert [(r.e164, r.region, r.reason) for r in results] == [
        ("+447400123456", "GB", None),
        ("+14155550123", "US", None),
        (None, None, "bad_country"),
        ("+14155550123", "US", None),
        ("+14155550123", "US", None),
    ]
    assert normalize_column(raws[:1], None, "GB", reject_fixed_line=True)[0].e164 == "+447400123456"

"""Shortcuts through libphonenumber for bulk normalisation, each checked against its public API.

Parsing and validating a number is most of what the transform stage costs, so both are shortened here:

- `classify` gives (region, line type) in one pass: finding the region of a shared calling code (+1,
  +7, +44…) already checks the type, so a row costs no more than `is_valid_number`, and the type
  check itself is one regex match (`phone_types.number_type`). The type is UNKNOWN exactly when
  `is_valid_number` is False.
- `parse_digits` reads bare digit strings without `phonenumbers.parse`, whose general machinery
  (extension search, per-character Unicode digit folding, IDD handling) costs more than the rest of
  a row: '+14155550123'; national '4155550123' or '07400123456' with a default region; an
  international prefix ('0044…' from GB, '011…' from US); the default region's country code without
  '+' ('14155550123' from US), which parse keeps when the number is not a national one of that
  region. It answers only when parse would just split off the country code, or strip a plain national
  prefix and get a valid number; anything else returns None and goes through parse.

tests/transform/test_phone_shortcuts.py checks both against the public calls on every example
number of every region and on arbitrary digit strings, so a phonenumbers upgrade that changes the
rules fails there.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType

from sakari_sync.stages.phone_types import number_type

# Keep every compiled metadata pattern: data from many countries thrashes `re`'s 512-entry cache,
# and recompiling dominates a bulk run. A public phonenumbers switch; it costs a few MB.
phonenumbers.enable_pattern_cache()

_SUPPORTED_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
_DIGITS = re.compile(r"(\+?)([0-9]{4,17})")
_UNKNOWN = PhoneNumberType.UNKNOWN
_MIN_AFTER_IDD = 3  # parse refuses two digits or fewer after an international prefix

Parsed = tuple[int, str, str | None, int]
"""(country calling code, national significant number, region, PhoneNumberType) of a parsed number."""
_Split = tuple[int, str, PhoneMetadata]


def classify(number: PhoneNumber) -> tuple[str | None, int]:
    """(region, PhoneNumberType) of a parsed number; the type is UNKNOWN when it is not valid."""
    return classify_national(number.country_code or 0, phonenumbers.national_significant_number(number))


def classify_national(country_code: int, nsn: str) -> tuple[str | None, int]:
    """`classify` of the number with this calling code and national significant number."""
    candidates = _regions_of(country_code)
    if len(candidates) == 1:
        region, metadata, _ = candidates[0]
        return region, _UNKNOWN if metadata is None else number_type(nsn, metadata)
    for region, metadata, leading_digits in candidates:  # as region_code_for_number walks them
        if metadata is None:
            continue
        if leading_digits is not None:
            if leading_digits.match(nsn):
                return region, number_type(nsn, metadata)
            continue
        found = number_type(nsn, metadata)
        if found != _UNKNOWN:
            return region, found
    return None, _UNKNOWN


def parse_digits(text: str, region: str | None) -> Parsed | None:
    """`phonenumbers.parse(text, region)` and `classify` of it, for bare digits; else None."""
    match = _DIGITS.fullmatch(text)
    if match is None:
        return None
    plus, digits = match.groups()
    split = _split_international(digits) if plus else _split_national(digits, region)
    if split is None:
        return None
    country_code, nsn, metadata = split
    stripped = False
    prefix = metadata.national_prefix_for_parsing
    if prefix and (found := _compiled(prefix).match(nsn)):
        if metadata.national_prefix_transform_rule or any(group is not None for group in found.groups()):
            return None  # a carrier code or a rewrite: parse's business
        nsn, stripped = nsn[found.end() :], True
    if len(nsn) < 2 or nsn[0] == "0":  # too short, or an Italian-style leading zero
        return None
    number_region, found_type = classify_national(country_code, nsn)
    if stripped and found_type == _UNKNOWN:
        return None  # parse keeps the prefix when stripping it does not give a possible number
    return country_code, nsn, number_region, found_type


def _split_international(digits: str) -> _Split | None:
    if digits[0] == "0":
        return None  # no country code starts with 0
    for width in (1, 2, 3):
        if (country_code := int(digits[:width])) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            metadata = _main_metadata(country_code)
            return None if metadata is None else (country_code, digits[width:], metadata)
    return None


def _split_national(digits: str, region: str | None) -> _Split | None:
    metadata = _region_metadata(region)
    if metadata is None or metadata.country_code is None:
        return None
    idd = metadata.international_prefix
    if idd and (found := _compiled(idd).match(digits)):  # parse tries the international prefix first
        rest = digits[found.end() :]
        if len(rest) < _MIN_AFTER_IDD or rest[0] == "0":
            return None  # too short after it, or not taken as an international prefix: parse's business
        return _split_international(rest)
    country_code = metadata.country_code
    if digits.startswith(str(country_code)):
        return _split_own_country_code(digits, country_code, metadata)
    return country_code, digits, metadata


def _split_own_country_code(digits: str, country_code: int, metadata: PhoneMetadata) -> _Split | None:
    """Digits that start with the region's own calling code, as parse reads them: the code is split
    off when the whole is not a national number of the region (by its general pattern) but the rest
    is, or when the whole is too long to be one."""
    general = metadata.general_desc
    if general is None or not general.national_number_pattern or not general.possible_length:
        return None
    pattern = _compiled(general.national_number_pattern)
    rest = _strip_national_prefix(digits[len(str(country_code)) :], metadata, pattern)
    if rest is None:
        return None
    local_only = general.possible_length_local_only or ()
    too_long = len(digits) > general.possible_length[-1] and len(digits) not in local_only
    if not (too_long or (not pattern.fullmatch(digits) and pattern.fullmatch(rest))):
        return country_code, digits, metadata
    main = _main_metadata(country_code)
    return None if main is None else (country_code, rest, main)


def _strip_national_prefix(digits: str, metadata: PhoneMetadata, general: re.Pattern[str]) -> str | None:
    """parse's national prefix step (without carrier codes or rewrites, which give None): the prefix
    is kept when the digits fit the general pattern with it and not without it."""
    prefix = metadata.national_prefix_for_parsing
    found = _compiled(prefix).match(digits) if prefix and digits else None
    if found is None:
        return digits
    if metadata.national_prefix_transform_rule or any(group is not None for group in found.groups()):
        return None
    if general.fullmatch(digits) and not general.fullmatch(digits[found.end() :]):
        return digits
    return digits[found.end() :]


# Lookups of the metadata, cached: each costs more than a dict lookup, and a row needs several.


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def _region_metadata(region: str | None) -> PhoneMetadata | None:
    return PhoneMetadata.metadata_for_region(region) if region in _SUPPORTED_REGIONS else None


@cache
def _main_metadata(country_code: int) -> PhoneMetadata | None:
    """The metadata parse reads a number with this calling code by: its main region's."""
    main_region = phonenumbers.region_code_for_country_code(country_code)
    return PhoneMetadata.metadata_for_region_or_calling_code(country_code, main_region)


@cache
def _regions_of(
    country_code: int,
) -> tuple[tuple[str | None, PhoneMetadata | None, re.Pattern[str] | None], ...]:
    """The regions sharing a calling code, as region_code_for_number walks them: each with its
    metadata and leading-digits pattern (an unknown code: one region None, no metadata)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return ((None, None, None),)
    if len(regions) == 1:
        return (
            (regions[0], PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0]), None),
        )
    found = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        leading = (
            None
            if metadata is None or metadata.leading_digits is None
            else re.compile(metadata.leading_digits)
        )
        found.append((region, metadata, leading))
    return tuple(found)

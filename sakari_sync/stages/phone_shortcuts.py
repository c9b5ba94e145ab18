"""Shortcuts through libphonenumber for bulk normalisation, each checked against its public API.

Parsing a number is most of what the transform stage costs, so two calls are fused or skipped here:

- `classify` gives (region, line type) in one pass: `region_code_for_number` and `number_type`
  share the type check that finding the region of a shared calling code (+1, +7, +44…) already
  did, so a row costs no more than `is_valid_number`. The type is UNKNOWN exactly when
  `is_valid_number` is False.
- `parse_digits` reads bare digit strings ('+14155550123', '4155550123' or '07400123456' with a
  default region) without `phonenumbers.parse`, whose general machinery (extension search,
  per-character Unicode digit folding, IDD handling) costs more than the rest of a row. It answers
  only when parse would just split off the country code, or strip a plain national prefix and get a
  valid number; anything else returns None and goes through parse.

tests/transform/test_phone_shortcuts.py checks both against the public calls on every example
number of every region and on arbitrary digit strings, so a phonenumbers upgrade that changes the
rules fails there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType

# The private helper behind `number_type` (in phonenumbers since 2011). Without it, `classify`
# falls back to the public calls, which cost one more type check per number.
_type_helper: Callable[[str, PhoneMetadata], int] | None
try:
    from phonenumbers.phonenumberutil import _number_type_helper as _type_helper
except ImportError:  # pragma: no cover - depends on the installed phonenumbers
    _type_helper = None

# Keep every compiled metadata pattern: data from many countries thrashes `re`'s 512-entry cache,
# and recompiling dominates a bulk run. A public phonenumbers switch; it costs a few MB.
phonenumbers.enable_pattern_cache()

_SUPPORTED_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
_DIGITS = re.compile(r"(\+?)([0-9]{4,17})")
_UNKNOWN = PhoneNumberType.UNKNOWN

Classified = tuple[PhoneNumber, str | None, int]


def classify(number: PhoneNumber) -> tuple[str | None, int]:
    """(region, PhoneNumberType) of a parsed number; the type is UNKNOWN when it is not valid."""
    country_code = number.country_code or 0
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None, _UNKNOWN
    if _type_helper is None:  # pragma: no cover - depends on the installed phonenumbers
        return phonenumbers.region_code_for_number(number), int(phonenumbers.number_type(number))
    nsn = phonenumbers.national_significant_number(number)
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
        return regions[0], _UNKNOWN if metadata is None else _type_helper(nsn, metadata)
    for region in regions:  # as region_code_for_number walks them
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, nsn):
                return region, _type_helper(nsn, metadata)
            continue
        number_type = _type_helper(nsn, metadata)
        if number_type != _UNKNOWN:
            return region, number_type
    return None, _UNKNOWN


def parse_digits(text: str, region: str | None) -> Classified | None:
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
    if prefix and (found := re.match(prefix, nsn)):
        if metadata.national_prefix_transform_rule or any(group is not None for group in found.groups()):
            return None  # a carrier code or a rewrite: parse's business
        nsn, stripped = nsn[found.end() :], True
    if len(nsn) < 2 or nsn[0] == "0":  # too short, or an Italian-style leading zero
        return None
    number = PhoneNumber(country_code=country_code, national_number=int(nsn))
    number_region, number_type = classify(number)
    if stripped and number_type == _UNKNOWN:
        return None  # parse keeps the prefix when stripping it does not give a possible number
    return number, number_region, number_type


def _split_international(digits: str) -> tuple[int, str, PhoneMetadata] | None:
    if digits[0] == "0":
        return None  # no country code starts with 0
    for width in (1, 2, 3):
        if (country_code := int(digits[:width])) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            main_region = phonenumbers.region_code_for_country_code(country_code)
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, main_region)
            return None if metadata is None else (country_code, digits[width:], metadata)
    return None


def _split_national(digits: str, region: str | None) -> tuple[int, str, PhoneMetadata] | None:
    metadata = PhoneMetadata.metadata_for_region(region) if region in _SUPPORTED_REGIONS else None
    if metadata is None or metadata.country_code is None:
        return None
    idd = metadata.international_prefix
    if digits.startswith(str(metadata.country_code)) or (idd and re.match(idd, digits)):
        return None  # maybe a country code without '+': parse's business
    return metadata.country_code, digits, metadata

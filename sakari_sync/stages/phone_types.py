"""A number's line type in one regular-expression match, instead of up to eleven.

libphonenumber's `number_type` first checks the region's general pattern, then tries each type's
pattern in turn (premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed
line, mobile), skipping a type whose possible lengths exclude the number's length; the first type that
matches the whole number wins, and a fixed line that is also a mobile is FIXED_LINE_OR_MOBILE. Each try
is a Python call, a length check and a regex match: most of what validating a number costs.

`number_type(nsn, metadata)` gives the same answer with one match: for a region and a number length,
the types that length allows become the alternatives of one pattern, in the same order, behind a
lookahead for the general pattern. Python's regex engine tries alternatives in order, so the first one
that matches the whole number is the type `number_type` would return. The patterns are compiled once per
(region, length) actually met, so the cache holds a few dozen entries in practice (at most one per
region and length: a few MB if every region of the world is met).

tests/transform/test_phone_shortcuts.py checks it against the public `number_type` on every example
number of every region and on arbitrary digits.
"""

from __future__ import annotations

import re

from phonenumbers import PhoneMetadata, PhoneNumberDesc, PhoneNumberType

# In libphonenumber's order of precedence, before the fixed-line and mobile checks.
_FIRST_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_TYPE_OF_GROUP: dict[str, int] = dict(_FIRST_TYPES) | {
    "fixed_line_or_mobile": PhoneNumberType.FIXED_LINE_OR_MOBILE,
    "fixed_line": PhoneNumberType.FIXED_LINE,
    "mobile": PhoneNumberType.MOBILE,
}
_UNKNOWN = PhoneNumberType.UNKNOWN
_MATCHERS: dict[tuple[str | None, int | None, int], re.Pattern[str] | None] = {}


def number_type(nsn: str, metadata: PhoneMetadata) -> int:
    """The PhoneNumberType of a national significant number (digits) under `metadata`; UNKNOWN when
    it is not a valid number there. Equal to phonenumbers' `number_type` for that region."""
    key = (metadata.id, metadata.country_code, len(nsn))
    try:
        matcher = _MATCHERS[key]
    except KeyError:
        matcher = _MATCHERS[key] = _compile(metadata, len(nsn))
    found = None if matcher is None else matcher.fullmatch(nsn)
    if found is None or found.lastgroup is None:
        return _UNKNOWN
    return _TYPE_OF_GROUP[found.lastgroup]


def _compile(metadata: PhoneMetadata, length: int) -> re.Pattern[str] | None:
    """The one pattern for numbers of `length` digits; None when no number of that length is valid."""
    general = _pattern(metadata.general_desc, length)
    if general is None:
        return None
    choices = [
        f"(?P<{name}>{pattern})"
        for name, _ in _FIRST_TYPES
        if (pattern := _pattern(getattr(metadata, name), length)) is not None
    ]
    fixed, mobile = _pattern(metadata.fixed_line, length), _pattern(metadata.mobile, length)
    same = metadata.same_mobile_and_fixed_line_pattern
    if fixed is not None:
        if same:
            choices.append(f"(?P<fixed_line_or_mobile>{fixed})")
        else:
            if mobile is not None:
                choices.append(f"(?P<fixed_line_or_mobile>(?=(?:{mobile})\\Z)(?:{fixed}))")
            choices.append(f"(?P<fixed_line>{fixed})")
    if mobile is not None and not same:
        choices.append(f"(?P<mobile>{mobile})")
    if not choices:
        return None
    return re.compile(f"(?=(?:{general})\\Z)(?:{'|'.join(choices)})")


def _pattern(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The desc's pattern when a number of `length` digits may match it (as `_is_number_matching_desc`
    decides: no lengths listed means any length the general description allows)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return f"(?:{desc.national_number_pattern})"

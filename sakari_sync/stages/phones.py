"""Phone normalisation: any value a source column may hold -> an E.164 mobile number, or a reason.

`normalize_phone` is pure and never raises. Decisions (each pinned by tests/transform/nasty_rows.py):

- **Extensions** (`x123`, `ext. 123`, `;ext=123`, `#123`, `,123`) are dropped and the main number kept:
  an SMS reaches the line, not the extension. The `detail` says an extension was dropped.
- **Letters** are refused (`unparseable_phone`), apart from an extension marker and a `tel:` prefix.
  Vanity numbers (`1-800-FLOWERS`) are business lines, not mobiles, and converting letters to digits
  would also turn text such as "call 415…" into a made-up number.
- **Two numbers in one field** (split by `, ; / | & +`, a line break, "or" / "and", each part holding
  7 or more digits) are refused as `ambiguous_phone`: we cannot know which one texts the person.
- **Full-width or other Unicode digits and `＋`** are folded to ASCII (NFKC) before parsing.
- **'+'**: honoured before the first digit (`+ 44…`, `(+44)…`, `++44…`); a trailing '+' is ignored;
  a '+' between digits makes the value unparseable (or ambiguous, if a second number follows).
- **Whole numbers** (`4155550123`, `4155550123.0` from a numeric column with NULLs, a NUMERIC
  Decimal, numpy integers) are read as digits; booleans and fractional numbers are unparseable.
- **Validity** is libphonenumber's `is_valid_number`; a number that parses but is not valid is
  `invalid_phone`, and so is a valid one whose E.164 form is not 8 to 15 digits (Niue, Saint
  Helena, some short service numbers), which Sakari does not take. Non-geographic numbers
  (+800, +882…) have no country for Sakari: `non_geographic`.
- **Line type**, with `reject_fixed_line`: MOBILE, FIXED_LINE_OR_MOBILE (US, CA… where the two cannot
  be told apart) and VOIP (virtual numbers usually take SMS) are kept; FIXED_LINE, TOLL_FREE,
  PREMIUM_RATE, SHARED_COST, PERSONAL_NUMBER, PAGER, UAN and VOICEMAIL are `not_mobile`.
  Without `reject_fixed_line` every valid number is kept.
- **Idempotent**: normalising an E.164 result again, with any region, gives the same result.
- **Country column** (`normalize_column`): the row's country (ISO 3166 alpha-2, any case, 'UK' = GB)
  when set, else the default region. It only tells the parser how to read a national number: a
  number written with a +country code keeps its own region. A country cell that is not a code
  rejects the row (`bad_country`) only when the number needs it.
- **Once per page**: `normalize_column` parses each distinct (text, country) of its column once;
  the cache lives for that call only (at most one entry per row of the page).
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from itertools import repeat
from typing import NamedTuple

import numpy as np
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from sakari_sync.stages.phone_shortcuts import classify, parse_digits
from sakari_sync.stages.values import is_missing

MISSING_PHONE = "missing_phone"
UNPARSEABLE_PHONE = "unparseable_phone"
AMBIGUOUS_PHONE = "ambiguous_phone"
BAD_COUNTRY = "bad_country"
INVALID_PHONE = "invalid_phone"
NON_GEOGRAPHIC = "non_geographic"
NOT_MOBILE = "not_mobile"

_TYPE_NAMES: dict[int, str] = {
    value: name.lower() for name, value in vars(PhoneNumberType).items() if name.isupper()
}
SMS_CAPABLE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP}
)
"""Line types kept when `reject_fixed_line` is on; every other valid type is `not_mobile`."""

SUPPORTED_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
_REGION_ALIASES = {"UK": "GB"}  # not ISO 3166, but what people type
_MAX_INPUT = 250  # libphonenumber's own limit on the raw string
_NOT_A_CODE = "not a region code"  # a country cell that is set but names no region
_E164_DIGITS = (8, 15)  # what Sakari accepts (and the pipeline contract's ^\+[1-9]\d{7,14}$)

# The common case (digits, spaces, brackets, dots, dashes, one leading '+') skips every pre-check.
_PLAIN = re.compile(r"\+?[ ().\-]*[0-9][0-9 ().\-]*")
_FORMATTING = str.maketrans("", "", " ().-")
_SEPARATORS = re.compile(r"[,;/|&+\n\r]|\s(?:or|and)\s", re.IGNORECASE)
_TEL_PREFIX = re.compile(r"^\s*tel:\s*", re.IGNORECASE)
_EXTENSION = re.compile(
    r"\s*(?:;\s*ext\s*=|e?xt(?:ension|n)?\.?|x|#|,)\s*:?\s*\d{1,7}\s*#?\s*$", re.IGNORECASE
)
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


class PhoneResult(NamedTuple):
    """One normalised phone: `e164` and `region` when kept, else `reason` (a reject code) and `detail`."""

    e164: str | None
    reason: str | None
    line_type: str | None = None
    region: str | None = None
    detail: str | None = None


def resolve_region(value: object) -> str | None:
    """An ISO 3166 alpha-2 region from a country cell (case-insensitive, 'UK' = GB), or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    code = _REGION_ALIASES.get(code, code)
    return code if code in SUPPORTED_REGIONS else None


def phone_text(raw: object) -> str | None:
    """The text of a phone cell: strings as they are, whole numbers (int, float, Decimal, numpy) as
    digits; None for anything else, booleans included."""
    if isinstance(raw, str):
        return raw
    if type(raw) is int:
        return str(raw)
    if isinstance(raw, numbers.Integral) and not isinstance(raw, bool | np.bool_):
        return str(int(raw))
    if isinstance(raw, numbers.Real | Decimal) and not isinstance(raw, bool | np.bool_):
        number = Decimal(raw) if isinstance(raw, Decimal) else Decimal(float(raw))
        if number.is_finite() and number == number.to_integral_value():
            return str(int(number))
    return None


def normalize_column(
    raws: Sequence[object],
    countries: Sequence[object] | None,
    default_region: str,
    *,
    reject_fixed_line: bool,
) -> list[PhoneResult]:
    """`normalize_phone` of each cell, read with its row's country (`countries`, or none: the
    default region for all). Never raises; each distinct (text, country) is parsed once."""
    seen: dict[tuple[str, str | None], PhoneResult] = {}
    results = []
    for raw, country in zip(raws, repeat(None) if countries is None else countries, strict=False):
        if type(raw) is str and (country is None or type(country) is str):
            key = (raw, country)
            result = seen.get(key)
            if result is None:
                result = seen[key] = _normalize_in(raw, country, default_region, reject_fixed_line)
        else:  # numbers and odd cells: hashing them as keys could confuse 1, 1.0 and True
            result = _normalize_in(raw, country, default_region, reject_fixed_line)
        results.append(result)
    return results


def _normalize_in(raw: object, country: object, default_region: str, reject_fixed_line: bool) -> PhoneResult:
    """normalize_phone with the row's country, or the default region when it has none."""
    if country is None or type(country) is str:
        region = _country_region(country, default_region)
    else:
        region = default_region if is_missing(country) else resolve_region(country) or _NOT_A_CODE
    if region == _NOT_A_CODE:
        return _bad_country(raw, country, reject_fixed_line)
    return normalize_phone(raw, region, reject_fixed_line=reject_fixed_line)


@lru_cache(maxsize=1024)
def _country_region(country: str | None, default_region: str) -> str:
    """The region a row's country cell reads its number with: the default region when the cell is
    empty, _NOT_A_CODE when it is not a region code."""
    if country is None or not country.strip():
        return default_region
    return resolve_region(country) or _NOT_A_CODE


def _bad_country(raw: object, country: object, reject_fixed_line: bool) -> PhoneResult:
    result = normalize_phone(raw, None, reject_fixed_line=reject_fixed_line)
    if result.reason != BAD_COUNTRY:
        return result  # a +country number does not need the country column
    shown = str(country)[:20]
    detail = f"country {shown!r} is not an ISO 3166 alpha-2 code and the number has no +country code"
    return result._replace(detail=detail)


def normalize_phone(raw: object, region: str | None, *, reject_fixed_line: bool) -> PhoneResult:
    """Normalise one phone value to E.164 with `region` as the default country; never raises.

    `region` is an ISO 3166 alpha-2 code (or None when unknown: then only '+' numbers parse).
    The result's `region` is the number's own region, which is what Sakari's `mobile.country` wants.
    """
    text = phone_text(raw)
    if text is None:
        if is_missing(raw):
            return PhoneResult(None, MISSING_PHONE, detail="no phone number")
        return PhoneResult(None, UNPARSEABLE_PHONE, detail=f"a {type(raw).__name__} is not a phone number")
    if _PLAIN.fullmatch(text):
        # Dropping the formatting first halves libphonenumber's parse time and changes no valid
        # number it finds (test_phones.py checks this against parsing the raw text).
        return _parse(text.translate(_FORMATTING), region, reject_fixed_line, None)
    return _normalize_messy(text, region, reject_fixed_line)


def _normalize_messy(text: str, region: str | None, reject_fixed_line: bool) -> PhoneResult:
    """The slow path: Unicode folding, empties, two numbers, extensions and letters, then parse."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    if not text:
        return PhoneResult(None, MISSING_PHONE, detail="no phone number")
    if len(text) > _MAX_INPUT:
        return PhoneResult(None, UNPARSEABLE_PHONE, detail=f"{len(text)} characters long")
    if _PLAIN.fullmatch(text):  # only padded: read it as the fast path does (no separator, mark or letter)
        return _parse(text.translate(_FORMATTING), region, reject_fixed_line, None)
    parts = [p for p in _SEPARATORS.split(text) if p and sum(c.isdigit() for c in p) >= 7]
    if len(parts) > 1:
        return PhoneResult(None, AMBIGUOUS_PHONE, detail=f"{len(parts)} numbers in one field")
    text = _TEL_PREFIX.sub("", text)
    stripped = _EXTENSION.sub("", text)
    note = "extension dropped" if stripped != text else None
    if any(c.isalpha() for c in stripped):
        return PhoneResult(None, UNPARSEABLE_PHONE, detail="letters in the number (vanity numbers not read)")
    return _parse(stripped, region, reject_fixed_line, note)


def _parse(text: str, region: str | None, reject_fixed_line: bool, note: str | None) -> PhoneResult:
    parsed = parse_digits(text, region)
    if parsed is None:
        try:
            number = phonenumbers.parse(text, region)
        except NumberParseException as exc:
            return _parse_error(exc, region)
        number_region, number_type = classify(number)
        e164: str = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    else:  # no Italian leading zero on this path: the E.164 form is the digits as they are
        country_code, nsn, number_region, number_type = parsed
        e164 = f"+{country_code}{nsn}"
    if number_type == PhoneNumberType.UNKNOWN:
        return PhoneResult(None, INVALID_PHONE, detail=_join("not a valid number for its country", note))
    line_type = _TYPE_NAMES.get(number_type, "unknown")
    if not _E164_DIGITS[0] <= len(e164) - 1 <= _E164_DIGITS[1]:  # a few countries have shorter ones
        detail = f"{len(e164) - 1} digits long; Sakari takes 8 to 15"
        return PhoneResult(None, INVALID_PHONE, line_type, number_region, _join(detail, note))
    if number_region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return PhoneResult(None, NON_GEOGRAPHIC, line_type, detail=_join("non-geographic number", note))
    if reject_fixed_line and number_type not in SMS_CAPABLE_TYPES:
        return PhoneResult(None, NOT_MOBILE, line_type, number_region, _join(f"a {line_type} number", note))
    return PhoneResult(e164, None, line_type, number_region, note)


def _parse_error(exc: NumberParseException, region: str | None) -> PhoneResult:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None:
        return PhoneResult(None, BAD_COUNTRY, detail="no +country code and no usable country")
    return PhoneResult(None, UNPARSEABLE_PHONE, detail=_PARSE_ERRORS.get(exc.error_type, "unreadable"))


def _join(text: str, note: str | None) -> str:
    return f"{text}; {note}" if note else text

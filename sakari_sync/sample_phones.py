"""Phone numbers for the sample warehouse: ranges where every number is valid, and ways to write them.

A sample number is a `Number`: (region, a fixed national prefix from `number_ranges`, a random
suffix of the range's free digits). `number_layouts` gives the ways people write numbers of a range
(national, international, E.164, `00` prefix, missing `+`, dashes, dots, parentheses, `(0)`,
padding) that still parse as valid, and `fill_digits` puts a suffix into one of them. Only the
ranges and layouts call phonenumbers (and are cached), so a 100k-row table takes seconds.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat as Fmt
from phonenumbers import PhoneNumberType as Kind

__all__ = ["Number", "fill_digits", "is_valid_mobile", "number_layouts", "number_ranges"]

Number = tuple[str, str, str]  # region, fixed prefix of the national number, random suffix
_US_AREAS = "201 202 212 213 305 312 347 404 415 503 512 617 646 702 713 718 917".split()  # noqa: SIM905


def is_valid_mobile(phone: str | None, country: str | None) -> bool:
    """Whether `phone` parses (in `country`, else US) as a valid mobile number."""
    try:
        number = phonenumbers.parse(phone or "", (country or "US").upper())
    except phonenumbers.NumberParseException:
        return False
    kinds = (Kind.MOBILE, Kind.FIXED_LINE_OR_MOBILE)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in kinds


@lru_cache
def number_ranges(region: str, kind: int) -> list[tuple[str, int]]:
    """Number ranges (national prefix, free trailing digits) in which every number is valid."""
    if kind == Kind.TOLL_FREE:
        candidates = [("800555", 4)]
    elif region in ("US", "CA") and kind == Kind.MOBILE:  # 555 numbers look fictional, and are valid
        candidates = [(f"{area}555", 4) for area in (_US_AREAS if region == "US" else ["416", "604", "514"])]
    else:
        example = phonenumbers.example_number_for_type(region, kind)
        assert example is not None, f"phonenumbers has no example {kind} number for {region}"
        nsn = phonenumbers.national_significant_number(example)
        candidates = [(nsn[:-free], free) for free in (6, 5, 4)]
    code, kinds = phonenumbers.country_code_for_region(region), {kind, Kind.FIXED_LINE_OR_MOBILE}
    stable = []
    for prefix, free in candidates:
        numbers = [phonenumbers.parse(f"+{code}{prefix}{d * free}") for d in "0592"]
        if all(phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) in kinds for n in numbers):
            stable.append((prefix, free))
    assert stable, f"no stable {kind} number range for {region}"
    return stable if region in ("US", "CA") else stable[:1]


@lru_cache
def number_layouts(region: str, prefix: str, free: int, parse_region: str) -> list[str]:
    """Ways of writing numbers of this range that still parse as valid with `parse_region`.

    Formatting depends only on the leading digits and the length, so one example per range is
    formatted with phonenumbers and its last `free` digits are swapped per row (see `fill_digits`).
    """
    cc = str(phonenumbers.country_code_for_region(region))
    nsn = prefix + "0" * free
    number = phonenumbers.parse(f"+{cc}{nsn}")
    intl = phonenumbers.format_number(number, Fmt.INTERNATIONAL)
    national = phonenumbers.format_number(number, Fmt.NATIONAL)
    styles = [f"+{cc}{nsn}", intl, national, "".join(ch for ch in national if ch.isdigit())]
    styles += [intl.replace(" ", "-"), intl[1:].replace(" ", "."), "00" + intl[1:], intl[1:]]
    styles += [f"+{cc} (0) {nsn}", f"+{cc} ({nsn[:3]}) {nsn[3:]}", f"  {intl}\t"]
    return [s for s in styles if _parses_valid(s, parse_region)]


def _parses_valid(text: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


def fill_digits(layout: str, suffix: str) -> str:
    """Put `suffix` into the last len(suffix) digit positions of `layout`."""
    chars, todo = list(layout), list(suffix)
    for i in range(len(chars) - 1, -1, -1):
        if not todo:
            break
        if chars[i].isdigit():
            chars[i] = todo.pop()
    return "".join(chars)

"""Phone numbers for the sample warehouse: ranges where every number is valid, drawn without repeats.

A sample number is a `Number`: (region, a fixed national prefix from `number_ranges`, a suffix of
the range's free digits). `NumberPool` draws numbers of one region and kind at random and never
twice, so a table of millions of rows gives every person a phone of their own. `number_layouts`
gives the ways people write numbers of a range (national, international, E.164, `00` prefix,
missing `+`, dashes, dots, parentheses, `(0)`, padding) that still parse as valid, and `fill_digits`
puts a suffix into one of them. Only the ranges and layouts call phonenumbers (and are cached), so
a million-row table takes a minute, not an hour.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumber
from phonenumbers import PhoneNumberFormat as Fmt
from phonenumbers import PhoneNumberType as Kind

__all__ = [
    "Number",
    "NumberPool",
    "fill_digits",
    "is_valid_mobile",
    "number_layouts",
    "number_ranges",
    "table_capacity",
]

Number = tuple[str, str, str]  # region, fixed prefix of the national number, random suffix

# US and Canadian mobiles are <area code> 555 xxxx: they look fictional, and are valid. 246 US area
# codes hold 2.46 million numbers, three times the 0.73 million that 2 million rows draw (42 % of
# people are American); 30 Canadian ones hold 300,000, three times what they draw.
_NANP_AREAS = {  # split at use
    "US": """
    201 202 205 206 208 209 212 213 215 216 218 219 223 224 227 228 231 234 239 240 251 252 254
    256 262 267 270 272 276 279 283 301 303 304 305 307 308 310 312 314 315 317 318 320 321 324
    325 327 329 331 332 336 337 341 346 347 350 351 353 360 363 364 380 385 401 402 404 405 406
    408 409 412 413 415 417 423 424 430 432 435 440 443 445 448 458 464 469 472 475 479 480 501
    502 503 504 505 508 509 512 513 516 517 520 530 534 539 541 551 559 561 563 564 570 571 573
    574 580 582 586 601 603 605 607 608 610 612 615 616 617 618 619 623 626 629 630 636 640 645
    646 651 656 659 660 662 667 678 680 682 686 701 702 704 706 708 712 713 714 715 717 718 720
    724 726 727 730 731 734 737 740 743 748 754 760 762 765 769 771 772 774 775 781 785 801 802
    804 805 808 810 813 814 816 817 820 821 828 830 832 835 839 840 845 847 850 854 857 858 860
    862 864 865 872 878 903 904 907 908 910 912 914 915 917 918 920 925 929 930 934 936 938 940
    943 945 948 949 952 954 959 970 972 973 978 979 983 984 986 989
    """,
    "CA": """
    204 236 250 263 289 343 365 368 403 416 418 431 438 468 506 514 519 579 584 604 639 672 705
    742 778 782 819 867 879 905
    """,
}
_US_TOLL_FREE = ["800", "833", "844", "855", "866", "877", "888"]  # each followed by 555 xxxx
# Mobile prefixes elsewhere, six free digits after each: a few operators per country, so that
# numbers do not all start alike.
_MOBILE_PREFIXES = {
    "GB": "7400 7412 7507 7825 7956",
    "DE": "15123 15201 16012 17012 17612",
    "FR": "612 645 698 755 780",
    "ES": "612 633 655 699 722",
    "MX": "2221 3312 5512 6641 8112",
    "BR": "11961 11987 21987 31991 41998",
    "IN": "6300 7012 8123 9812 9900",
    "AU": "400 412 433 455 478",
    "JP": "7012 8012 8055 9012 9087",
    "NG": "7031 8021 8031 8061 9012",
    "AE": "501 521 551 561 585",
}
_SPARE = 16  # every 16th number of a pool is kept for rows added after the table was built


def is_valid_mobile(phone: str | None, country: str | None) -> bool:
    """Whether `phone` parses (in `country`, else US) as a valid mobile number."""
    try:
        number = phonenumbers.parse(phone or "", (country or "US").upper())
    except phonenumbers.NumberParseException:
        return False
    kinds = (Kind.MOBILE, Kind.FIXED_LINE_OR_MOBILE)
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in kinds


@cache
def number_ranges(region: str, kind: int) -> list[tuple[str, int]]:
    """Number ranges (national prefix, free trailing digits) in which every number is valid.

    Every number of a range is of `kind` (or fixed-line-or-mobile) and belongs to `region`; a
    listed range for which this library version says otherwise is left out.
    """
    kinds = {kind, Kind.FIXED_LINE_OR_MOBILE}
    listed = _listed_ranges(region, kind)
    if listed is None:  # the widest range around libphonenumber's example (they nest: keep one)
        example = phonenumbers.example_number_for_type(region, kind)
        assert example is not None, f"phonenumbers has no example {kind} number for {region}"
        nsn = phonenumbers.national_significant_number(example)
        candidates = [(nsn[:-free], free) for free in (6, 5, 4)]
    else:
        candidates = listed
    stable = [(prefix, free) for prefix, free in candidates if _holds_only(region, prefix, free, kinds)]
    stable = stable if listed else stable[:1]
    assert stable, f"no stable {kind} number range for {region}"
    return stable


def _listed_ranges(region: str, kind: int) -> list[tuple[str, int]] | None:
    if kind == Kind.TOLL_FREE and region == "US":
        return [(f"{code}555", 4) for code in _US_TOLL_FREE]
    if kind == Kind.MOBILE and region in _NANP_AREAS:
        return [(f"{area}555", 4) for area in _NANP_AREAS[region].split()]
    if kind == Kind.MOBILE and region in _MOBILE_PREFIXES:
        return [(prefix, 6) for prefix in _MOBILE_PREFIXES[region].split()]
    return None


def _holds_only(region: str, prefix: str, free: int, kinds: set[int]) -> bool:
    """Whether probes of the range are all valid numbers of `kinds` in `region`.

    The probes put every digit in every free position (0123, 1234, …, plus 0000 and 9999), which
    is how libphonenumber's patterns carve ranges up.
    """
    code, cycle = phonenumbers.country_code_for_region(region), "0123456789" * 2
    probes = [cycle[k : k + free] for k in range(10)] + ["0" * free, "9" * free]
    for probe in probes:
        number = PhoneNumber(country_code=code, national_number=int(prefix + probe))
        if phonenumbers.region_code_for_number(number) != region:
            return False
        if not phonenumbers.is_valid_number_for_region(number, region):
            return False
        if phonenumbers.number_type(number) not in kinds:
            return False
    return True


def table_capacity(region: str, kind: int) -> int:
    """How many distinct numbers a table can draw from `number_ranges(region, kind)`."""
    total: int = sum(10**free for _, free in number_ranges(region, kind))
    return total - total // _SPARE


class NumberPool:
    """Distinct numbers of one region and kind, drawn at random from `number_ranges`.

    One bit per number of the ranges marks it drawn (under 1 MB a pool, whatever the rows). Every 16th
    number is kept apart: a table draws from the rest, and rows added to it later draw only the
    kept ones (`spare=True`), so they never reuse a phone the table was built with.
    """

    def __init__(self, region: str, kind: int, *, spare: bool = False) -> None:
        self.region, self.ranges, self.spare = region, number_ranges(region, kind), spare
        sizes = [10**free for _, free in self.ranges]
        self.starts = list(itertools.accumulate(sizes, initial=0))[:-1]
        total = sum(sizes)  # a multiple of 16: every range holds 10^4 or more
        self.capacity = total // _SPARE if spare else table_capacity(region, kind)
        self.drawn = bytearray(total // 8)

    def draw(self, random: Callable[[], float]) -> Number:
        """A number not drawn before from this pool; `random` gives floats in [0, 1)."""
        for _ in range(1000):  # pools are planned to stay under half drawn: ~2 tries at worst
            slot = int(random() * self.capacity)
            index = slot * _SPARE + _SPARE - 1 if self.spare else slot + slot // (_SPARE - 1)
            byte, bit = index >> 3, 1 << (index & 7)
            if not self.drawn[byte] & bit:
                self.drawn[byte] |= bit
                at = bisect.bisect(self.starts, index) - 1
                prefix, free = self.ranges[at]
                return self.region, prefix, f"{index - self.starts[at]:0{free}d}"
        raise ValueError(f"ran out of sample {self.region} numbers; use fewer rows")


@cache  # one entry per range and parsing region: a few hundred
def number_layouts(region: str, prefix: str, free: int, parse_region: str) -> list[str]:
    """Ways of writing numbers of this range that still parse, with `parse_region`, as the same number.

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
    return [s for s in styles if _parses_as(s, parse_region, number)]


def _parses_as(text: str, region: str, number: PhoneNumber) -> bool:
    """Whether `text` parses with `region` as `number` (not merely as some valid number: US
    '1.833-555-0000' read in Germany is a valid German number)."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    same = (parsed.country_code, parsed.national_number) == (number.country_code, number.national_number)
    return same and phonenumbers.is_valid_number(parsed)


def fill_digits(layout: str, suffix: str) -> str:
    """Put `suffix` into the last len(suffix) digit positions of `layout`."""
    template, slots = _digit_template(layout, len(suffix))
    return template.format(*suffix[len(suffix) - slots :])


@cache
def _digit_template(layout: str, count: int) -> tuple[str, int]:
    """`layout` as a `str.format` template whose last `count` digits are fields, and their number."""
    pieces: list[str] = []
    slots = 0
    for ch in reversed(layout):
        if slots < count and ch.isdigit():
            pieces.append("{}")
            slots += 1
        else:
            pieces.append(ch.replace("{", "{{").replace("}", "}}"))
    return "".join(reversed(pieces)), slots

"""A corpus of nasty source rows, each with the outcome the transform stage must give it.

Every row is either sent (with this exact E.164 number and these exact Sakari fields) or rejected
with this reason. A row sent with invalid optional fields has them left out and reported
(`field_issues`, in field order); with `mapping.strict_fields` it is rejected instead, for the first
of them. The rows go through `transform_chunk` and then the staging rule for duplicates together, as
one chunk, with `MAPPING`, `PHONE`, key column "id" and cursor column "updated_at".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np

from sakari_sync.config import ListMapping, MappingConfig, PhoneConfig

MAPPING = MappingConfig(
    mobile="phone",
    country="country",
    first_name="first",
    last_name="last",
    email="email",
    attributes={
        "birthday": "birthday",
        "signedUp": "signed_up",
        "score": "score",
        "vip": "vip",
        "balance": "balance",
        "note": "note",
    },
    lists=ListMapping(column="tags", separator=",", constant=["all-contacts"], ids={"VIP": "list-vip"}),
)
PHONE = PhoneConfig(default_region="US", reject_fixed_line=True)
COLUMNS = (
    "id",
    "phone",
    "country",
    "first",
    "last",
    "email",
    *MAPPING.attributes.values(),
    "tags",
    "updated_at",
)
CONSTANT_LISTS = [{"id": "all-contacts"}]
T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Nasty:
    """One row: what is wrong with it, its cells, and either the body it is sent with or a reason."""

    why: str
    cells: dict[str, Any]
    body: dict[str, Any] | None = None
    reason: str | None = None
    field_issues: tuple[str, ...] = ()


def sent(why: str, mobile: str, country: str, /, **cells_and_fields: Any) -> Nasty:
    """A row that is sent: cells are lower-case column names, Sakari fields are in `fields`."""
    fields = cells_and_fields.pop("fields", {})
    body = {"mobile": {"number": mobile, "country": country}, "lists": CONSTANT_LISTS, **fields}
    return Nasty(why, cells_and_fields, body=body)


def rejected(why: str, reason: str, /, **cells: Any) -> Nasty:
    return Nasty(why, cells, reason=reason)


def sent_without(why: str, mobile: str, issues: tuple[str, ...], /, **cells_and_fields: Any) -> Nasty:
    """A US row sent with its invalid fields left out (and reported with `issues`, in field order)."""
    return replace(sent(why, mobile, "US", **cells_and_fields), field_issues=issues)


_LONG = "Å" * 300
_FULL = "Ñ" * 255

ROWS: list[Nasty] = [
    # Keys and NULLs
    rejected("every cell NULL but the key", "missing_phone"),
    rejected("NULL key", "missing_key", id=None, phone="+1 415 555 0100"),
    rejected("empty key", "missing_key", id="", phone="+1 415 555 0101"),
    rejected("blank key", "missing_key", id="   ", phone="+1 415 555 0102"),
    rejected("NaN key", "missing_key", id=float("nan"), phone="+1 415 555 0103"),
    rejected("empty phone", "missing_phone", phone=""),
    rejected("whitespace phone", "missing_phone", phone=" \t\n "),
    rejected("NaN phone", "missing_phone", phone=float("nan")),
    # US formats (default region US)
    sent("US national with brackets", "+14155550110", "US", phone="(415) 555-0110"),
    sent("US with dots", "+14155550111", "US", phone="415.555.0111"),
    sent("E.164 with spaces", "+14155550112", "US", phone="+1 415 555 0112"),
    sent("US with leading 1 and dashes", "+14155550113", "US", phone="1-415-555-0113"),
    sent("US IDD 011 to a GB mobile", "+447400123457", "GB", phone="011 44 7400 123457"),
    sent("phone stored as an integer", "+14155550115", "US", phone=4155550115),
    sent("phone as a float from a NULL-able int column", "+14155550116", "US", phone=4155550116.0),
    sent(
        "'(0)' trunk prefix inside an international number",
        "+447400123458",
        "GB",
        phone="+44 (0) 7400 123458",
    ),
    sent("doubled plus", "+14155550118", "US", phone="++1 415 555 0118"),
    sent("trailing plus", "+14155550119", "US", phone="4155550119+"),
    sent("plus, then a space", "+14155550120", "US", phone="+ 1 415 555 0120"),
    rejected("plus between digits", "unparseable_phone", phone="1+4155550121"),
    sent("full-width digits", "+14155550122", "US", phone="４１５５５５０１２２"),
    sent("full-width plus and digits", "+447400123459", "GB", phone="＋４４ ７４００ １２３４５９"),
    sent("Arabic-Indic digits", "+14155550124", "US", phone="٤١٥٥٥٥٠١٢٤"),
    sent("non-breaking spaces", "+14155550125", "US", phone="415\u00a0555\u00a00125"),
    # Extensions: the main number is kept
    sent("extension 'ext.'", "+14155550130", "US", phone="+1 415 555 0130 ext. 12"),
    sent("extension 'x'", "+14155550131", "US", phone="415-555-0131 x9"),
    sent("extension ';ext='", "+14155550132", "US", phone="4155550132;ext=77"),
    sent("extension '#'", "+14155550133", "US", phone="(415) 555-0133 #4"),
    sent("tel: URI", "+14155550134", "US", phone="tel:+1-415-555-0134"),
    # Letters
    rejected("vanity toll-free", "unparseable_phone", phone="1-800-FLOWERS"),
    rejected("vanity local", "unparseable_phone", phone="415-555-CALL"),
    rejected("text", "unparseable_phone", phone="call me"),
    rejected("n/a", "unparseable_phone", phone="n/a"),
    rejected("a label before the number", "unparseable_phone", phone="Mobile: 415 555 0140"),
    # Two numbers in one field
    rejected("two numbers, slash", "ambiguous_phone", phone="415-555-0142 / 415-555-0143"),
    rejected("two numbers, comma", "ambiguous_phone", phone="+1 415 555 0144, +1 415 555 0145"),
    rejected("two numbers, 'or'", "ambiguous_phone", phone="415 555 0146 or 415 555 0147"),
    rejected("two numbers, line break", "ambiguous_phone", phone="4155550148\n4155550149"),
    rejected("two numbers, two pluses", "ambiguous_phone", phone="+14155550150 +447400123456"),
    # Validity and line type
    rejected("seven-digit local number", "invalid_phone", phone="555-0151"),
    rejected("three digits", "invalid_phone", phone="123"),
    rejected("one digit", "unparseable_phone", phone="7"),
    rejected("US toll-free", "not_mobile", phone="+1 800 555 0199"),
    rejected("London landline", "not_mobile", phone="+44 20 7946 0958"),
    rejected("Paris landline", "not_mobile", phone="+33 1 23 45 67 89"),
    rejected("Berlin landline", "not_mobile", phone="+49 30 1234567"),
    rejected("international freephone +800", "non_geographic", phone="+800 1234 5678"),
    rejected("unknown country code", "unparseable_phone", phone="+999 123 4567"),
    rejected("twenty digits", "unparseable_phone", phone="12345678901234567890"),
    rejected("US number one digit short", "invalid_phone", phone="+1 415 555 015"),
    rejected("GB national number read with the default region US", "invalid_phone", phone="07400 123463"),
    rejected("a boolean phone", "unparseable_phone", phone=True),
    rejected("valid Tokelau mobile, but 7 digits: Sakari takes 8 to 15", "invalid_phone", phone="+690 7290"),
    # Countries from the country column
    sent("GB national", "+447400123460", "GB", phone="07400 123460", country="GB"),
    sent("country in lower case", "+447400123461", "GB", phone="07400 123461", country="gb"),
    sent("'UK' for GB", "+447400123462", "GB", phone="07400 123462", country="UK"),
    sent("DE national, padded country", "+4915123456789", "DE", phone="01512 3456789", country=" de "),
    sent("FR national", "+33612345678", "FR", phone="06 12 34 56 78", country="FR"),
    sent("IN national with trunk 0", "+919876543210", "IN", phone="098765 43210", country="IN"),
    sent("BR national", "+5511912345678", "BR", phone="(11) 91234-5678", country="BR"),
    sent("AU national", "+61412345678", "AU", phone="0412 345 678", country="AU"),
    sent("JP national", "+819012345678", "JP", phone="090-1234-5678", country="JP"),
    sent("NG national", "+2348031234567", "NG", phone="0803 123 4567", country="NG"),
    sent("MX national", "+525512345678", "MX", phone="55 1234 5678", country="MX"),
    sent("CA, by its area code", "+16045555555", "CA", phone="+1 604 555 5555"),
    sent("empty country falls back to the default", "+14155550170", "US", phone="4155550170", country=" "),
    rejected("unknown country, national number", "bad_country", phone="07400 123464", country="Narnia"),
    sent(
        "unknown country, +country number", "+447400123465", "GB", phone="+44 7400 123465", country="Narnia"
    ),
    sent("country column disagrees with +1", "+14155550171", "US", phone="+1 415 555 0171", country="FR"),
    # Names
    sent(
        "names padded with whitespace",
        "+14155550180",
        "US",
        phone="4155550180",
        first="  Ann  ",
        last="\tLee\n",
        fields={"firstName": "Ann", "lastName": "Lee"},
    ),
    sent("empty names omitted", "+14155550181", "US", phone="4155550181", first="", last="   "),
    sent(
        "emoji and diacritics",
        "+14155550182",
        "US",
        phone="4155550182",
        first="🎉 Zoë",
        last="Nguyễn",
        fields={"firstName": "🎉 Zoë", "lastName": "Nguyễn"},
    ),
    sent(
        "right-to-left names",
        "+14155550183",
        "US",
        phone="4155550183",
        first="مريم",
        last="דוד",
        fields={"firstName": "مريم", "lastName": "דוד"},
    ),
    sent(
        "quotes",
        "+14155550184",
        "US",
        phone="4155550184",
        first='"Bobby"',
        last="O'Brien",
        fields={"firstName": '"Bobby"', "lastName": "O'Brien"},
    ),
    sent(
        "SQL-looking text is only text",
        "+14155550185",
        "US",
        phone="4155550185",
        first="Robert'); DROP TABLE contacts;--",
        fields={"firstName": "Robert'); DROP TABLE contacts;--"},
    ),
    sent_without("300-character name", "+14155550186", ("field_too_long",), phone="4155550186", first=_LONG),
    sent(
        "255-character name", "+14155550187", "US", phone="4155550187", last=_FULL, fields={"lastName": _FULL}
    ),
    sent_without(
        "NUL inside a name, kept last name",
        "+14155550188",
        ("bad_text",),
        phone="4155550188",
        first="Ann\x00",
        last="Lee",
        fields={"lastName": "Lee"},
    ),
    sent(
        "a number as a name",
        "+14155550189",
        "US",
        phone="4155550189",
        first=12345,
        fields={"firstName": "12345"},
    ),
    # Email
    sent(
        "email padded, case kept",
        "+14155550190",
        "US",
        phone="4155550190",
        email="  Ann@Example.COM ",
        fields={"email": "Ann@Example.COM"},
    ),
    sent_without("email without @", "+14155550191", ("bad_email",), phone="4155550191", email="not-an-email"),
    sent_without(
        "email without a dotted domain",
        "+14155550192",
        ("bad_email",),
        phone="4155550192",
        email="ann@localhost",
    ),
    sent_without(
        "email with two dots",
        "+14155550193",
        ("bad_email",),
        phone="4155550193",
        email="ann..lee@example.com",
    ),
    sent_without(
        "email with a space", "+14155550194", ("bad_email",), phone="4155550194", email="ann @example.com"
    ),
    sent(
        "internationalised domain",
        "+14155550195",
        "US",
        phone="4155550195",
        email="ann@exämple.de",
        fields={"email": "ann@exämple.de"},
    ),
    sent("empty email omitted", "+14155550196", "US", phone="4155550196", email=""),
    rejected(
        "a bad email and a bad phone: the phone speaks first", "unparseable_phone", phone="x", email="x"
    ),
    sent_without(
        "a too-long name, a bad email and a bad attribute: all left out, the name first",
        "+14155550197",
        ("field_too_long", "bad_email", "bad_text"),
        phone="4155550197",
        first=_LONG,
        email="ann@",
        note="tab\tok but NUL\x00 not",
        score=7,
        fields={"attributes": {"score": 7}},
    ),
    # Attributes
    sent(
        "dates and datetimes as ISO text",
        "+14155550200",
        "US",
        phone="4155550200",
        birthday=dt.date(1990, 5, 17),
        signed_up=dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        fields={"attributes": {"birthday": "1990-05-17", "signedUp": "2023-01-02T03:04:05+02:00"}},
    ),
    sent(
        "numpy scalars become Python numbers",
        "+14155550201",
        "US",
        phone="4155550201",
        score=np.int64(42),
        vip=np.bool_(True),
        fields={"attributes": {"score": 42, "vip": True}},
    ),
    sent(
        "integral float as an integer, Decimal as exact text",
        "+14155550202",
        "US",
        phone="4155550202",
        score=3.0,
        balance=Decimal("12.50"),
        vip=False,
        fields={"attributes": {"score": 3, "balance": "12.50", "vip": False}},
    ),
    sent(
        "NULLs of every kind are omitted",
        "+14155550203",
        "US",
        phone="4155550203",
        birthday=None,
        signed_up=float("nan"),
        score=np.float64("nan"),
        balance=Decimal("NaN"),
        note="  ",
    ),
    sent(
        "fractional float and text attribute",
        "+14155550204",
        "US",
        phone="4155550204",
        score=2.5,
        note="likes 'quotes' and \"doubles\"",
        fields={"attributes": {"score": 2.5, "note": "likes 'quotes' and \"doubles\""}},
    ),
    # Lists
    sent(
        "list names split, trimmed, de-duplicated and mapped",
        "+14155550210",
        "US",
        phone="4155550210",
        tags="VIP, newsletter ,VIP,,",
        fields={"lists": [{"id": "all-contacts"}, {"id": "list-vip"}, {"id": "newsletter"}]},
    ),
    sent("empty list cell", "+14155550211", "US", phone="4155550211", tags=""),
    sent_without(
        "list cell too long: the constant lists stay",
        "+14155550212",
        ("field_too_long",),
        phone="4155550212",
        tags="x" * 1025,
    ),
    # Duplicates: the greatest (cursor_sort, source_key) wins
    rejected(
        "older row of a duplicated mobile", "duplicate_mobile", phone="4155550220", first="Old", updated_at=T0
    ),
    sent(
        "newer row of a duplicated mobile wins",
        "+14155550220",
        "US",
        phone="+1 (415) 555-0220",
        first="New",
        updated_at=T0 + dt.timedelta(days=1),
        fields={"firstName": "New"},
    ),
    rejected(
        "same cursor, smaller key loses", "duplicate_mobile", id="dup-a", phone="4155550221", updated_at=T0
    ),
    sent(
        "same cursor, greater key wins", "+14155550221", "US", id="dup-b", phone="415 555 0221", updated_at=T0
    ),
]


def cells_of(index: int, row: Nasty) -> dict[str, Any]:
    """The full row: its cells over defaults (a unique key, NULLs, a cursor that grows by row)."""
    cells: dict[str, Any] = dict.fromkeys(COLUMNS)
    cells["id"] = f"row-{index:03d}"
    cells["updated_at"] = T0 - dt.timedelta(days=365) + dt.timedelta(minutes=index)
    cells.update(row.cells)
    return cells

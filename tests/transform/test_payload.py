"""The payload builder: canonical JSON of the Sakari create body, column by column; emails, lists and
the fields it leaves out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sakari_sync.config import ListMapping, MappingConfig
from sakari_sync.stages.fields import FieldIssue, is_email
from sakari_sync.stages.payload import PayloadBuilder, canonical_json
from sakari_sync.stages.values import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
    BadFieldError,
    attribute_value,
    clean_text,
)
from tests.transform.strategies import any_cell

_MAPPING = MappingConfig(
    first_name="first",
    last_name="last",
    email="email",
    attributes={"zeta": "z", "alpha": "a", "ünï": "u"},
    lists=ListMapping(
        column="tags", separator=";", constant=["everyone"], ids={"Gold": "L1", "everyone": "L0"}
    ),
)
_SCALARS = st.none() | st.text(max_size=20) | st.integers() | st.floats() | st.booleans()
# Cells that reach every branch: plain and padded text, control characters, over-long text, emails.
_TEXTS = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x00", "\t", "\x7f", " "]), max_size=8),
    st.integers(250, 260).map(lambda n: "é" * n),
    st.sampled_from(
        ["ann@example.com", " Ann@Example.COM ", "not-an-email", "a@b.c", "x@" + "y" * 260 + ".com"]
    ),
)
_CELLS = _TEXTS | any_cell
_ROWS = st.lists(
    st.fixed_dictionaries({c: _CELLS for c in ("first", "last", "email", "z", "a", "u", "tags")})
)


def _build(
    mapping: MappingConfig, rows: list[dict[str, Any]], region: str | None = "US"
) -> tuple[list[str], list[FieldIssue]]:
    builder = PayloadBuilder(mapping)
    cells = {column: [row.get(column) for row in rows] for column in builder.columns()}
    return builder.build(cells, ["+14155550123"] * len(rows), [region] * len(rows))


def _write(mapping: MappingConfig, cells: dict[str, Any], region: str | None = "US") -> str:
    [payload], _ = _build(mapping, [cells], region)
    return payload


def _reference(mapping: MappingConfig, cells: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The body the first release built as a dict, field by field, and the fields it refused."""
    body: dict[str, Any] = {}
    refused: list[str] = []
    for field, column, limit in (
        ("firstName", mapping.first_name, MAX_NAME_LENGTH),
        ("lastName", mapping.last_name, MAX_NAME_LENGTH),
        ("email", mapping.email, MAX_EMAIL_LENGTH),
    ):
        try:
            text = clean_text(cells.get(column or ""), field, limit)
            if field == "email" and text is not None and not is_email(text):
                raise BadFieldError("bad_email", "email is not a valid address")
        except BadFieldError as exc:
            refused.append(exc.reason)
            continue
        if text is not None:
            body[field] = text
    attributes = {}
    for name, column in sorted(mapping.attributes.items()):
        try:
            value = attribute_value(cells.get(column), name)
        except BadFieldError as exc:
            refused.append(exc.reason)
            continue
        if value is not None:
            attributes[name] = value
    if attributes:
        body["attributes"] = attributes
    ids = {mapping.lists.ids.get(n, n) for n in mapping.lists.constant}
    try:
        text = clean_text(cells.get(mapping.lists.column or ""), "lists", MAX_VALUE_LENGTH)
    except BadFieldError as exc:
        refused.append(exc.reason)
        text = None
    names = [] if text is None else text.split(mapping.lists.separator) if mapping.lists.separator else [text]
    ids |= {mapping.lists.ids.get(n, n) for n in (p.strip() for p in names) if n}
    if ids:
        body["lists"] = [{"id": i} for i in sorted(ids)]
    body["mobile"] = {"number": "+14155550123", "country": "US"}
    return body, refused


@settings(max_examples=300, deadline=None)
@given(rows=_ROWS)
def test_payloads_are_canonical_json_of_the_body_and_refused_fields_are_left_out(rows):
    """Each payload is byte for byte canonical_json of the body built field by field (floats as repr,
    integral floats as ints, Decimals as text…), without the refused fields, which are reported."""
    payloads, issues = _build(_MAPPING, rows)
    for position, (row, payload) in enumerate(zip(rows, payloads, strict=True)):
        body, refused = _reference(_MAPPING, row)
        assert payload == canonical_json(body)
        assert [i.reason for i in issues if i.row == position] == refused
    assert [i.row for i in issues] == sorted(i.row for i in issues)


@settings(max_examples=300)
@given(
    first=st.none() | st.text(max_size=30),
    last=st.none() | st.text(max_size=30),
    attributes=st.fixed_dictionaries({"z": _SCALARS, "a": _SCALARS, "u": _SCALARS}),
    tags=st.none() | st.text(max_size=30),
)
def test_written_payload_is_canonical_json(first, last, attributes, tags):
    """What the builder produces is exactly canonical_json of its own parse: sorted, compact, UTF-8."""
    payload = _write(_MAPPING, {"first": first, "last": last, "tags": tags, **attributes})
    body = json.loads(payload)
    assert canonical_json(body) == payload
    assert body["mobile"] == {"number": "+14155550123", "country": "US"}
    assert all(value is not None for value in body.get("attributes", {}).values())


@pytest.mark.parametrize(
    ("value", "written"), [(1e16, "1e+16"), (1e-7, "1e-07"), (0.1, "0.1"), (2.0**53, "9007199254740992.0")]
)
def test_floats_are_written_as_python_repr(value, written):
    """Floats keep Python's spelling (orjson 3.13, for one, writes 1e-7 for 1e-07): stored hashes stay."""
    assert _write(MappingConfig(attributes={"x": "x"}), {"x": value}) == (
        '{"attributes":{"x":' + written + '},"mobile":{"country":"US","number":"+14155550123"}}'
    )


def test_body_omits_empty_fields_and_maps_lists():
    """None and blank fields are left out; list names are split, trimmed, mapped, de-duplicated, sorted."""
    payload = _write(_MAPPING, {"first": " ", "last": None, "a": None, "tags": " Gold ;new;Gold;; "})
    assert json.loads(payload) == {
        "lists": [{"id": "L0"}, {"id": "L1"}, {"id": "new"}],
        "mobile": {"number": "+14155550123", "country": "US"},
    }


def test_list_cell_without_separator_is_one_list():
    """Without a separator the whole cell names one list; a non-text cell is read as text."""
    mapping = MappingConfig(lists=ListMapping(column="tags", values_are_ids=True))
    assert json.loads(_write(mapping, {"tags": "a;b"}))["lists"] == [{"id": "a;b"}]
    assert json.loads(_write(mapping, {"tags": 5}))["lists"] == [{"id": "5"}]


def test_a_mobile_without_region_has_no_country():
    """The region is only written when known."""
    assert _write(MappingConfig(), {}, region=None) == '{"mobile":{"number":"+14155550123"}}'


def test_bad_fields_are_left_out_and_reported_in_field_order():
    """A malformed email, an over-long name and a control character in an attribute are left out of
    the payload, each reported with its reason and a detail that names the field, never the value."""
    rows = [{"first": "Ann", "last": "L" * 300, "email": "ann(at)example.com", "a": "x\x00y", "tags": "Gold"}]
    [payload], issues = _build(_MAPPING, rows)
    assert json.loads(payload) == {
        "firstName": "Ann",
        "lists": [{"id": "L0"}, {"id": "L1"}],
        "mobile": {"number": "+14155550123", "country": "US"},
    }
    assert issues == [
        FieldIssue(0, "field_too_long", "lastName is 300 characters long (limit 255)"),
        FieldIssue(0, "bad_email", "email is not a valid address"),
        FieldIssue(0, "bad_text", "attribute 'alpha' holds a control character"),
    ]


def test_a_refused_list_cell_keeps_the_constant_lists_and_is_reported_every_time():
    """A list cell with a control character leaves the constants; the same cell twice is two issues."""
    payloads, issues = _build(_MAPPING, [{"tags": "Gold\x00"}, {"tags": "Gold\x00"}, {"tags": "Gold"}])
    assert [json.loads(p)["lists"] for p in payloads] == [
        [{"id": "L0"}],
        [{"id": "L0"}],
        [{"id": "L0"}, {"id": "L1"}],
    ]
    assert [(i.row, i.reason) for i in issues] == [(0, "bad_text"), (1, "bad_text")]


def test_a_page_larger_than_a_slice_gives_what_each_row_gives():
    """Members are written a slice of rows at a time; payloads and issue rows do not depend on it."""
    rows = [
        {"first": f"Ann{i}", "email": "bad@" if i % 997 == 0 else f"a{i}@example.com"} for i in range(5000)
    ]
    payloads, issues = _build(_MAPPING, rows)
    assert payloads == [_write(_MAPPING, row) for row in rows]
    assert [(i.row, i.reason) for i in issues] == [(row, "bad_email") for row in range(0, 5000, 997)]


def test_non_utf8_bytes_name_their_field():
    """Bytes that are not UTF-8 are bad_text, and the detail says which field held them."""
    _, issues = _build(MappingConfig(first_name="first"), [{"first": b"\xff"}])
    assert issues == [FieldIssue(0, "bad_text", "firstName holds bytes that are not UTF-8 text")]


@pytest.mark.parametrize(
    "email",
    [
        "ann@example.com",
        "ann.lee+sms@mail.example.co.uk",
        "o'brien@example.ie",
        "zoë@exämple.de",
        "a@xn--p1ai.xn--p1ai",
    ],
)
def test_plausible_emails_pass(email):
    """Plus tags, apostrophes, subdomains, Unicode and punycode domains are accepted."""
    assert is_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@exa mple.com",
        ".ann@example.com",
        "ann.@example.com",
        "ann..lee@example.com",
        "ann@-example.com",
        "ann@example.c",
        "<ann@example.com>",
    ],
)
def test_malformed_emails_fail(email):
    """Missing parts, dotless domains, doubled or edge dots, spaces, brackets and one-letter TLDs fail."""
    assert not is_email(email)

"""The payload writer: canonical JSON of the Sakari create body, emails, lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sakari_sync.config import ListMapping, MappingConfig
from sakari_sync.stages.payload import PayloadWriter, canonical_json, is_email
from sakari_sync.stages.values import RowRejectedError

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


def _write(
    mapping: MappingConfig, cells: dict[str, Any], e164: str = "+14155550123", region: str = "US"
) -> str:
    columns = ["key", "phone"]
    writer = PayloadWriter(mapping, columns)
    row = tuple(cells.get(column) for column in columns)
    return writer.write(row, e164, region)


@settings(max_examples=300)
@given(
    first=st.none() | st.text(max_size=30),
    last=st.none() | st.text(max_size=30),
    attributes=st.fixed_dictionaries({"z": _SCALARS, "a": _SCALARS, "u": _SCALARS}),
    tags=st.none() | st.text(max_size=30),
)
def test_written_payload_is_canonical_json(first, last, attributes, tags):
    """What the writer produces is exactly canonical_json of its own parse: sorted, compact, UTF-8."""
    try:
        payload = _write(_MAPPING, {"first": first, "last": last, "tags": tags, **attributes})
    except RowRejectedError:
        return
    body = json.loads(payload)
    assert canonical_json(body) == payload
    assert body["mobile"] == {"number": "+14155550123", "country": "US"}
    assert all(value is not None for value in body.get("attributes", {}).values())


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


def test_bad_email_rejects_the_row():
    """A present but malformed email is a bad_email reject, not a silently dropped field."""
    with pytest.raises(RowRejectedError) as caught:
        _write(_MAPPING, {"email": "ann(at)example.com"})
    assert caught.value.reason == "bad_email"


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

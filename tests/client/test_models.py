"""Request bodies follow Sakari's field names; responses ignore unknown fields; reprs mask numbers."""

from __future__ import annotations

import json

import pytest

from sakari_client import (
    BulkUploadResult,
    Contact,
    ContactIn,
    CsvIncompatibleError,
    EncodedContact,
    ListRef,
    MobileIn,
    csv_compatible,
)
from sakari_client.bulk import build_csv, csv_problem
from sakari_client.models import BulkRowError, ContactError, Pagination

SEED_CONTACT = {  # the shape of sakari-create-contact.txt, trimmed, with fields we do not model
    "id": "abc",
    "email": "chris@sakari.io",
    "firstName": "Chris",
    "lastName": "Bloggs",
    "mobile": {
        "country": "US",
        "number": "+14155550123",
        "verified": "2023-11-07T05:31:56Z",
        "valid": True,
        "lineType": "mobile",
    },
    "lists": [
        {
            "id": "l1",
            "name": "vip",
            "keyword": "JOIN",
            "doubleOptIn": {"enabled": True},
            "optIn": "2023-11-07T05:31:56Z",
        }
    ],
    "attributes": {},
    "optIn": "2023-11-07T05:31:56Z",
    "blocked": "2023-11-07T05:31:56Z",
    "hubspot": {"id": 123},
    "valid": True,
    "error": {"code": "CONT-010", "description": "Contact has requested no further communication"},
    "created": {"at": "2023-11-07T05:31:56Z", "by": {"id": "u1", "name": "Joe Bloggs"}},
    "updated": {"at": "2023-11-07T05:31:56Z", "by": {"id": "u1", "name": "Joe Bloggs"}},
    "somethingNew": [1, 2, 3],
}


def test_contact_reads_the_seed_schema_and_ignores_unknown_fields() -> None:
    """The create-contact page's full contact parses; fields the model does not know are dropped."""
    contact = Contact.model_validate(SEED_CONTACT)
    assert contact.error is not None
    assert contact.error.code == "CONT-010"
    assert contact.blocked == "2023-11-07T05:31:56Z"
    assert contact.lists[0].name == "vip"
    assert contact.mobile is not None
    assert contact.mobile.lineType == "mobile"
    assert not hasattr(contact, "somethingNew")


def test_request_body_uses_sakari_names_and_omits_none() -> None:
    """`to_body` uses Sakari's camelCase names, leaves None out, and reads back to the same body."""
    body = ContactIn(
        mobile=MobileIn(number="+14155550123"),
        firstName="Ada",
        attributes={"tier": "gold", "score": 3, "vip": True},
        lists=[ListRef(id="l1")],
    ).to_body()
    assert body == {
        "mobile": {"number": "+14155550123"},
        "firstName": "Ada",
        "attributes": {"tier": "gold", "score": 3, "vip": True},
        "lists": [{"id": "l1"}],
    }
    assert body == ContactIn.model_validate(body).model_dump(exclude_none=True, by_alias=True)


@pytest.mark.parametrize(
    "model",
    [
        ContactIn(mobile=MobileIn(number="+14155550123")),
        Contact.model_validate(SEED_CONTACT),
    ],
)
def test_repr_masks_the_mobile_number(model: object) -> None:
    """A model holding a mobile shows only its last four digits in its repr."""
    text = repr(model)
    assert "4155550123" not in text
    assert "0123" in text


def test_bulk_result_reads_the_documented_shape() -> None:
    """The CSV upload answer as the emulator and the spec's example give it."""
    result = BulkUploadResult.model_validate(
        {
            "contacts": [SEED_CONTACT],
            "errors": [{"row": 2, "code": "CONT-001", "description": "Invalid"}],
            "inserted": 1,
            "updated": 0,
            "submitted": 2,
            "success": 1,
        }
    )
    assert (result.submitted, result.inserted, result.errors[0].row) == (2, 1, 2)


def test_csv_has_the_core_columns_then_sorted_attribute_columns() -> None:
    """Header: the five import columns, then every attribute name, sorted; cells quoted as CSV does."""
    text = build_csv(
        [
            ContactIn(
                mobile=MobileIn(number="+14155550123", country="US"),
                firstName='Ann "A", Jr',
                attributes={"zeta": True, "alpha": 1.5},
            ),
            ContactIn(mobile=MobileIn(number="+33612345678"), email="x@example.fr", attributes={"mid": None}),
        ]
    )
    assert text.splitlines() == [
        "country,firstName,lastName,email,mobile,alpha,mid,zeta",
        'US,"Ann ""A"", Jr",,,+14155550123,1.5,,true',
        ",,,x@example.fr,+33612345678,,,",
    ]


def test_csv_refuses_lists_empty_batches_and_clashing_attribute_names() -> None:
    """Lists and column-named attributes raise the typed `CsvIncompatibleError`; no contacts, ValueError."""
    with pytest.raises(CsvIncompatibleError, match="cannot assign lists"):
        build_csv([ContactIn(mobile=MobileIn(number="+14155550123"), lists=[ListRef(id="l1")])])
    with pytest.raises(ValueError, match="at least one"):
        build_csv([])
    with pytest.raises(CsvIncompatibleError, match="named like a CSV column") as caught:
        build_csv([PLAIN, ContactIn(mobile=MobileIn(number="+14155550124"), attributes={"email": "x"})])
    assert isinstance(caught.value, ValueError)
    assert caught.value.problems == {1: "attribute 'email' is named like a CSV column"}
    assert "4155550124" not in str(caught.value)


PLAIN = ContactIn(mobile=MobileIn(number="+14155550123", country="US"), firstName="Ada", attributes={"t": 1})


@pytest.mark.parametrize(
    ("contact", "problem"),
    [
        (PLAIN, None),
        (PLAIN.model_copy(update={"lists": [ListRef(id="l1")]}), "it has lists (a CSV cannot assign lists)"),
        (
            PLAIN.model_copy(update={"attributes": {"Country": "FR"}}),
            "attribute 'Country' is named like a CSV column",
        ),
        (
            PLAIN.model_copy(update={"attributes": {" lists ": "x"}}),
            "attribute ' lists ' is named like a CSV column",
        ),
        (
            {"mobile": {"number": "+14155550123"}, "attributes": {"tags": ["a"]}},
            "attribute 'tags' is not a single value",
        ),
        (
            {"mobile": {"number": "+14155550123"}, "firstName": {"given": "Ada"}},
            "firstName is not a single value",
        ),
        ({"mobile": {"number": "+14155550123"}, "attributes": {"": 1}}, "an attribute has no name"),
        ({"firstName": "Ada"}, "it has no mobile number"),
        (EncodedContact(b"{not json"), "its body is not JSON"),
        (EncodedContact(b"[1, 2]"), "its body is not a JSON object"),
    ],
)
def test_csv_compatible_says_beforehand_what_a_csv_cannot_carry(contact: object, problem: str | None) -> None:
    """`csv_compatible` and `csv_problem` agree, for models, encoded bodies and parsed mappings."""
    assert csv_problem(contact) == problem  # type: ignore[arg-type]  # deliberately odd inputs
    assert csv_compatible(contact) is (problem is None)  # type: ignore[arg-type]


def test_csv_from_encoded_bodies_and_mappings_matches_the_csv_from_models() -> None:
    """An `EncodedContact` or a parsed body gives byte for byte the CSV its `ContactIn` gives."""
    other = ContactIn(mobile=MobileIn(number="+33612345678"), email="x@example.fr", attributes={"z": True})
    expected = build_csv([PLAIN, other])
    assert build_csv([EncodedContact.from_contact(PLAIN), other.to_body()]) == expected
    assert expected.splitlines()[1:] == ["US,Ada,,,+14155550123,1,", ",,,x@example.fr,+33612345678,,true"]


def test_encoded_contact_is_canonical_json_and_its_repr_hides_the_body() -> None:
    """`from_contact` writes sorted keys, no spaces, UTF-8; the repr shows a size, never the number."""
    encoded = EncodedContact.from_contact(
        ContactIn(mobile=MobileIn(number="+14155550123"), firstName="Zoë", attributes={"b": 1, "a": 2})
    )
    assert (
        encoded.body
        == '{"attributes":{"a":2,"b":1},"firstName":"Zoë","mobile":{"number":"+14155550123"}}'.encode()
    )
    assert repr(encoded) == f"EncodedContact(<{len(encoded.body)} bytes>)"
    assert "0123" not in repr(encoded)
    assert "0123" not in str(encoded)


def test_contact_without_id_and_error_without_code_are_read() -> None:
    """An answer that leaves out `id` or `error.code` is still a contact, with those fields None."""
    contact = Contact.model_validate({"mobile": {"number": "+14155550123"}, "error": {"description": "?"}})
    assert contact.id is None
    assert contact.error == ContactError(code=None, description="?")


def test_pagination_fields_are_all_optional() -> None:
    """The OpenAPI pagination has no `hasNext`; an empty object is a page that says nothing."""
    assert Pagination.model_validate({}) == Pagination(offset=None, limit=None, totalCount=None, hasNext=None)


def test_bulk_errors_shaped_like_contacts_are_flattened() -> None:
    """The OpenAPI declares `errors` as contacts: their error code, description and mobile are read."""
    answer = BulkUploadResult.model_validate(
        {
            "errors": [
                {
                    "mobile": {"number": "12", "country": "US"},
                    "error": {"code": "CONT-001", "description": "Bad"},
                },
                {"row": 3, "error": "Invalid mobile"},
                "Row 4 is empty",
                {"row": "five", "code": "X"},
            ]
        }
    )
    assert [(e.row, e.code, e.description, e.message, e.mobile) for e in answer.errors] == [
        (None, "CONT-001", "Bad", None, "12"),
        (3, None, None, "Invalid mobile", None),
        (None, None, None, "Row 4 is empty", None),
        (None, "X", None, None, None),
    ]
    assert (answer.submitted, answer.inserted, answer.updated, answer.success, answer.contacts) == (None,) * 5


def test_bulk_row_error_repr_masks_the_mobile() -> None:
    """A row error's repr shows the last four digits of its mobile only."""
    text = repr(BulkRowError.model_validate({"mobile": {"number": "+14155550123"}, "error": {"code": "X"}}))
    assert "4155550123" not in text
    assert "0123" in text


CONTACT = {"id": "c1", "mobile": {"number": "+14155550123"}}


@pytest.mark.parametrize(
    ("answer", "matchable"),
    [
        ({"contacts": [CONTACT, CONTACT], "errors": [{"row": 2, "code": "CONT-001"}]}, True),
        ({"contacts": [CONTACT, CONTACT, CONTACT], "errors": []}, True),
        ({"contacts": [CONTACT, CONTACT], "errors": [{"code": "CONT-001"}]}, False),  # no row
        ({"contacts": [CONTACT, CONTACT], "errors": [{"row": 4, "code": "CONT-001"}]}, False),  # out of range
        ({"contacts": [CONTACT], "errors": [{"row": 1}, {"row": 1}]}, False),  # the same row twice
        ({"contacts": [CONTACT], "errors": [{"row": 2}]}, False),  # a contact missing
        ({"contacts": 2, "errors": [{"row": 2}]}, False),  # a count, not a list
        ({"errors": [{"row": 2}]}, False),  # no contacts at all
        ({"submitted": 4, "contacts": [CONTACT, CONTACT], "errors": [{"row": 2}]}, False),  # other rows
    ],
)
def test_rows_matchable_only_when_every_row_is_accounted_for(
    answer: dict[str, object], matchable: bool
) -> None:
    """Of 3 rows sent: matchable when errors name distinct rows in range and contacts fill the rest."""
    assert BulkUploadResult.model_validate(answer).rows_matchable(3) is matchable


def test_encoded_contact_body_is_bytes_as_given() -> None:
    """`EncodedContact` keeps the bytes it was given; nothing parses them."""
    raw = json.dumps({"mobile": {"number": "+1"}}, indent=2).encode()
    assert EncodedContact(raw).body is raw

"""Request bodies follow Sakari's field names; responses ignore unknown fields; reprs mask numbers."""

from __future__ import annotations

import pytest

from sakari_client import BulkUploadResult, Contact, ContactIn, ListRef, MobileIn
from sakari_client.bulk import build_csv

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
    contact = Contact.model_validate(SEED_CONTACT)
    assert contact.error is not None
    assert contact.error.code == "CONT-010"
    assert contact.blocked == "2023-11-07T05:31:56Z"
    assert contact.lists[0].name == "vip"
    assert contact.mobile is not None
    assert contact.mobile.lineType == "mobile"
    assert not hasattr(contact, "somethingNew")


def test_request_body_uses_sakari_names_and_omits_none() -> None:
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
    text = repr(model)
    assert "4155550123" not in text
    assert "0123" in text


def test_bulk_result_reads_the_documented_shape() -> None:
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
    with pytest.raises(ValueError, match="cannot assign lists"):
        build_csv([ContactIn(mobile=MobileIn(number="+14155550123"), lists=[ListRef(id="l1")])])
    with pytest.raises(ValueError, match="at least one"):
        build_csv([])
    with pytest.raises(ValueError, match="clash"):
        build_csv([ContactIn(mobile=MobileIn(number="+14155550123"), attributes={"email": "x"})])

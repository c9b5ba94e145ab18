"""The seed schema (Sakari's create-contact response) as checks on field names and types."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

CONTACT_FIELDS = {
    "id", "email", "firstName", "lastName", "mobile", "lists", "attributes", "optIn", "blocked",
    "activecampaign", "hubspot", "pipedrive", "valid", "error", "created", "updated",
}  # fmt: skip
MOBILE_FIELDS = {"country", "number", "verified", "valid", "lineType"}
LIST_FIELDS = {
    "id", "name", "source", "keyword", "doubleOptIn", "filter", "optInConfirmation", "optIn", "optOut",
}  # fmt: skip
BY_FIELDS = {"id", "name", "firstName", "lastName", "email", "source", "subSource"}
CONTACT_ID = re.compile(r"[0-9a-f]{24}")
E164 = re.compile(r"\+[1-9]\d{7,14}")


def assert_datetime(value: Any) -> None:
    assert isinstance(value, str)
    assert datetime.fromisoformat(value).tzinfo is not None


def assert_contact(contact: Any) -> None:
    """Every field present is one of the seed schema's, with the seed schema's type."""
    assert isinstance(contact, dict)
    assert set(contact) <= CONTACT_FIELDS, set(contact) - CONTACT_FIELDS
    assert CONTACT_ID.fullmatch(contact["id"])
    for name in ("email", "firstName", "lastName"):
        assert isinstance(contact.get(name, ""), str)
    mobile = contact["mobile"]
    assert set(mobile) <= MOBILE_FIELDS
    assert E164.fullmatch(mobile["number"])
    assert isinstance(mobile.get("country", "US"), str)
    assert isinstance(mobile["valid"], bool)
    assert isinstance(mobile["lineType"], str)
    for membership in contact["lists"]:
        assert set(membership) <= LIST_FIELDS
        assert isinstance(membership["id"], str)
        assert isinstance(membership["name"], str)
        assert_datetime(membership["optIn"])
        if "optOut" in membership:
            assert_datetime(membership["optOut"])
    assert isinstance(contact["attributes"], dict)
    assert isinstance(contact["valid"], bool)
    if "blocked" in contact:
        assert_datetime(contact["blocked"])
    if "error" in contact:
        assert set(contact["error"]) == {"code", "description"}
    for stamp in ("created", "updated"):
        assert_datetime(contact[stamp]["at"])
        assert set(contact[stamp]["by"]) <= BY_FIELDS


def assert_error(body: Any, code: str) -> None:
    """Sakari's error envelope with the given code."""
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]

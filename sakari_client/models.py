"""Sakari's contact shapes as pydantic models, following the create-contact response schema.

Field names are Sakari's own (camelCase), so a model dumps to the request body as is:
`ContactIn.model_dump(exclude_none=True, by_alias=True)`. Response models ignore fields they do not
know: Sakari's schema is open, and servers may add properties at any time.

The `repr` of a model holding a mobile number shows it masked to its last four digits, so that a
model landing in a log line or a traceback does not leak the number.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sakari_client.redaction import mask_phone

AttributeValue = str | int | float | bool | None
MergeStrategy = Literal["append", "core", "remove"]
"""How Sakari treats an existing contact with the same mobile: `append` fills in and adds,
`core` changes only first name, last name and email, `remove` makes it exactly what was sent."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _MaskedNumber(_Model):
    """A model with a `number` field that must never appear in full in a repr."""

    number: str | None = None

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (mask_phone(value) if name == "number" and value is not None else value)


# --- request bodies ---------------------------------------------------------------------------


class MobileIn(_MaskedNumber):
    """A mobile number to send: E.164 (`+14155550123`) or national with its ISO country code."""

    number: str
    country: str | None = None


class ListRef(_Model):
    """A list to add the contact to, by id (the API has no endpoint to look lists up by name)."""

    id: str


class ContactIn(_Model):
    """The body of a create or update call. None fields are left out of the request."""

    mobile: MobileIn
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    attributes: dict[str, AttributeValue] | None = None
    lists: list[ListRef] | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body Sakari expects: Sakari's field names, None fields omitted."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


# --- responses ---------------------------------------------------------------------------------


class ContactMobile(_MaskedNumber):
    """A contact's mobile as Sakari reports it."""

    country: str | None = None
    valid: bool | None = None
    lineType: str | None = None
    verified: str | None = None


class ContactError(_Model):
    """A problem Sakari attaches to a contact, e.g. CONT-010 (asked for no further messages)."""

    code: str
    description: str | None = None


class ContactList(_Model):
    """A list the contact belongs to."""

    id: str
    name: str | None = None
    optIn: str | None = None
    optOut: str | None = None


class Audit(_Model):
    """When (and by whom) a contact was created or last updated."""

    at: str | None = None
    by: dict[str, Any] | None = None


class Contact(_Model):
    """A contact as Sakari returns it. `blocked` is set (a timestamp) when the person opted out."""

    id: str
    mobile: ContactMobile | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    lists: list[ContactList] = Field(default_factory=list)
    blocked: str | bool | None = None
    optIn: str | None = None
    valid: bool | None = None
    error: ContactError | None = None
    created: Audit | None = None
    updated: Audit | None = None


class Pagination(_Model):
    """Where a page sits in a listing."""

    offset: int = 0
    limit: int = 0
    totalCount: int | None = None
    hasNext: bool = False


class BulkRowError(_Model):
    """One CSV row Sakari could not import (row numbering and wording are the server's)."""

    row: int | None = None
    code: str | None = None
    message: str | None = None
    description: str | None = None
    mobile: str | None = None

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (mask_phone(value) if name == "mobile" and value is not None else value)


class BulkUploadResult(_Model):
    """The answer to a CSV upload: counts, and the rows that failed."""

    submitted: int = 0
    inserted: int = 0
    updated: int = 0
    success: int = 0
    contacts: list[Contact] | int | None = None
    errors: list[BulkRowError] = Field(default_factory=list)

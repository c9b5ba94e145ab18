"""Sakari's contact shapes as pydantic models, following the create-contact response schema.

Field names are Sakari's own (camelCase), so a model dumps to the request body as is:
`ContactIn.model_dump(exclude_none=True, by_alias=True)`. Response models ignore fields they do not
know: Sakari's schema is open, and servers may add properties at any time.

The `repr` of a model holding a mobile number shows it masked to its last four digits, so that a
model landing in a log line or a traceback does not leak the number.

Response models read what Sakari documents and tolerate what it leaves out: a contact without an
`id` (the client raises `UnconfirmedContactError` for a create answered so), an `error` without a
`code`, pagination without `hasNext` or `totalCount`, and a CSV upload answer whose `errors` have no
row numbers or are shaped like contacts (as the OpenAPI description declares them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sakari_client.redaction import mask_phone

AttributeValue = str | int | float | bool | None
MergeStrategy = Literal["append", "core", "remove"]
"""How Sakari treats an existing contact with the same mobile: `append` fills in and adds,
`core` changes only first name, last name and email, `remove` makes it exactly what was sent.
The project's one definition: the pipeline and its settings import it from here."""


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


@dataclass(frozen=True, slots=True)
class EncodedContact:
    """A contact's JSON body, already encoded: sent byte for byte as given, never parsed again.

    For a caller that hashes and stores each body and wants exactly those bytes on the wire.
    `from_contact` writes the canonical form (sorted keys, no spaces, UTF-8). The repr shows only
    the size: the body holds a phone number.
    """

    body: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"EncodedContact(<{len(self.body)} bytes>)"

    @classmethod
    def from_contact(cls, contact: ContactIn) -> EncodedContact:
        """`contact`'s body in canonical JSON: sorted keys, no spaces, UTF-8, None fields left out."""
        text = json.dumps(contact.to_body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return cls(text.encode("utf-8"))


# --- responses ---------------------------------------------------------------------------------


class ContactMobile(_MaskedNumber):
    """A contact's mobile as Sakari reports it."""

    country: str | None = None
    valid: bool | None = None
    lineType: str | None = None
    verified: str | None = None


class ContactError(_Model):
    """A problem Sakari attaches to a contact, e.g. CONT-010 (asked for no further messages).
    `code` is None when Sakari named none."""

    code: str | None = None
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
    """A contact as Sakari returns it. `blocked` is set (a timestamp) when the person opted out.
    `id` is None only in an answer that left it out (a listing, an upload's `contacts`); create, get
    and update return a `SavedContact`, whose id is always set."""

    id: str | None = None
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


class SavedContact(Contact):
    """A contact Sakari answered for with its id: what create, get and update return (the client
    raises `UnconfirmedContactError` for a create answered without one)."""

    id: str


class Pagination(_Model):
    """Where a page sits in a listing. The OpenAPI description has `totalCount`, `limit` and
    `offset`; the newer create-contact page adds `hasNext`. Any of them may be missing (None)."""

    offset: int | None = None
    limit: int | None = None
    totalCount: int | None = None
    hasNext: bool | None = None


class BulkRowError(_Model):
    """One CSV row Sakari could not import (row numbering, from 1, and wording are the server's).

    Read from either shape: `{"row", "code", "description"}`, or a contact with an `error` (as the
    OpenAPI description declares `errors`), whose `error.code`, `error.description` and
    `mobile.number` land in `code`, `description` and `mobile`. `row` is None when not given.
    """

    row: int | None = None
    code: str | None = None
    message: str | None = None
    description: str | None = None
    mobile: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_contact_shape(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"message": data}
        if not isinstance(data, dict):
            return data
        flat = dict(data)
        error = flat.pop("error", None)
        if isinstance(error, dict):
            for key in ("code", "description", "message"):
                if flat.get(key) is None and error.get(key) is not None:
                    flat[key] = str(error[key])
        elif isinstance(error, str) and flat.get("message") is None:
            flat["message"] = error
        if isinstance(flat.get("mobile"), dict):
            flat["mobile"] = flat["mobile"].get("number")
        if not _is_row_number(flat.get("row")):
            flat["row"] = None  # a row we cannot read is a row we do not know
        return flat

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (mask_phone(value) if name == "mobile" and value is not None else value)


def _is_row_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())


class BulkUploadResult(_Model):
    """The answer to a CSV upload: counts (None when not given), the rows that failed, and the
    resulting contacts (a list, in row order for the accepted rows, or only their number)."""

    submitted: int | None = None
    inserted: int | None = None
    updated: int | None = None
    success: int | None = None
    contacts: list[Contact] | int | None = None
    errors: list[BulkRowError] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _none_is_no_errors(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("errors") is None:
            return {**data, "errors": []}
        return data

    def rows_matchable(self, submitted: int) -> bool:
        """Whether the answer can be matched to the `submitted` rows one by one: every error names a
        distinct row between 1 and `submitted`, and `contacts` lists exactly one contact for each
        other row. When not, read the contacts back by mobile (`SakariClient.find_by_mobile`)."""
        rows = [e.row for e in self.errors]
        if any(row is None or not 1 <= row <= submitted for row in rows) or len(set(rows)) != len(rows):
            return False
        if self.submitted is not None and self.submitted != submitted:
            return False
        return isinstance(self.contacts, list) and len(self.contacts) == submitted - len(rows)

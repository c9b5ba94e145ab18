"""Serialise the emulator's objects in the shapes of Sakari's published contact schema.

Optional fields without a value are left out rather than sent as null, so every field present has
the schema's type (`email` a string, `blocked` a date-time string, ...). Two answer styles bring back
the older shapes the OpenAPI file declares (see `config.PaginationStyle` and `BulkAnswerStyle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import BulkAnswerStyle, PaginationStyle
from .exceptions import BLOCKED_ERROR
from .models import BulkResult, Contact, RowError

_BY: dict[str, str] = {"id": "sakari-emulator", "name": "Sakari emulator", "source": "api"}


def render_contact(contact: Contact, list_names: Mapping[str, str]) -> dict[str, Any]:
    """One contact as Sakari returns it; a blocked one carries `blocked` and `error` CONT-010."""
    out: dict[str, Any] = {"id": contact.id}
    if contact.email is not None:
        out["email"] = contact.email
    if contact.first_name is not None:
        out["firstName"] = contact.first_name
    if contact.last_name is not None:
        out["lastName"] = contact.last_name
    mobile: dict[str, Any] = {"number": contact.mobile, "valid": True, "lineType": "mobile"}
    if contact.country is not None:
        mobile["country"] = contact.country
    out["mobile"] = mobile
    out["lists"] = [_membership(m.list_id, m.opt_in, m.opt_out, list_names) for m in contact.lists]
    out["attributes"] = dict(contact.attributes)
    # Adding a contact through the API implies consent, so optIn is its creation time; a mobile that
    # was blocked before its contact existed never opted in.
    if contact.blocked is None or contact.blocked > contact.created_at:
        out["optIn"] = contact.created_at
    if contact.blocked is not None:
        out["blocked"] = contact.blocked
        out["error"] = dict(BLOCKED_ERROR)
    out["valid"] = True
    out["created"] = {"at": contact.created_at, "by": _BY}
    out["updated"] = {"at": contact.updated_at, "by": _BY}
    return out


def _membership(list_id: str, opt_in: str, opt_out: str | None, names: Mapping[str, str]) -> dict[str, Any]:
    out = {"id": list_id, "name": names.get(list_id, ""), "optIn": opt_in}
    if opt_out is not None:
        out["optOut"] = opt_out
    return out


def render_pagination(
    offset: int, limit: int, total: int, shown: int, style: PaginationStyle
) -> dict[str, Any]:
    """`{offset, limit, totalCount, hasNext}`; the "openapi" style has no `hasNext`."""
    out: dict[str, Any] = {"offset": offset, "limit": limit, "totalCount": total}
    if style == "full":
        out["hasNext"] = offset + shown < total
    return out


def render_page(
    contacts: list[Contact],
    names: Mapping[str, str],
    offset: int,
    limit: int,
    total: int,
    style: PaginationStyle = "full",
) -> dict[str, Any]:
    """A list answer: `{success, pagination, data}`."""
    return {
        "success": True,
        "pagination": render_pagination(offset, limit, total, len(contacts), style),
        "data": [render_contact(c, names) for c in contacts],
    }


def render_created(
    contact: Contact, names: Mapping[str, str], style: PaginationStyle = "full"
) -> dict[str, Any]:
    """A JSON create answer: the contact in a one-element page."""
    return {
        "success": True,
        "pagination": render_pagination(0, 1, 1, 1, style),
        "data": [render_contact(contact, names)],
    }


def render_bulk(
    result: BulkResult, names: Mapping[str, str], style: BulkAnswerStyle = "rows"
) -> dict[str, Any]:
    """A CSV upload answer: `{success, data: {contacts, errors, inserted, updated, submitted, success}}`."""
    render_error = _row_error if style == "rows" else _contact_shaped_error
    return {
        "success": True,
        "data": {
            "contacts": [render_contact(c, names) for c in result.contacts],
            "errors": [render_error(e) for e in result.errors],
            "inserted": result.inserted,
            "updated": result.updated,
            "submitted": result.submitted,
            "success": result.inserted + result.updated,
        },
    }


def _row_error(error: RowError) -> dict[str, Any]:
    return {"row": error.row, "code": error.code, "description": error.description}


def _contact_shaped_error(error: RowError) -> dict[str, Any]:
    """The OpenAPI file's `errors` item: a Contact (the row as sent) carrying `error`, no row number."""
    out: dict[str, Any] = {}
    data = error.data
    if data is not None:
        fields = {"email": data.email, "firstName": data.first_name, "lastName": data.last_name}
        out.update({name: value for name, value in fields.items() if value is not None})
        mobile = {"number": data.mobile, "country": data.country}
        out["mobile"] = {name: value for name, value in mobile.items() if value is not None}
        out["attributes"] = dict(data.attributes or {})
    out["valid"] = False
    out["error"] = {"code": error.code, "description": error.description}
    return out

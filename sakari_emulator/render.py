"""Serialise the emulator's objects in the shapes of Sakari's published contact schema.

Optional fields without a value are left out rather than sent as null, so every field present has
the schema's type (`email` a string, `blocked` a date-time string, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exceptions import BLOCKED_ERROR
from .models import BulkResult, Contact

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


def render_page(
    contacts: list[Contact], names: Mapping[str, str], offset: int, limit: int, total: int
) -> dict[str, Any]:
    """A list answer: `{success, pagination, data}`."""
    return {
        "success": True,
        "pagination": {
            "offset": offset,
            "limit": limit,
            "totalCount": total,
            "hasNext": offset + len(contacts) < total,
        },
        "data": [render_contact(c, names) for c in contacts],
    }


def render_bulk(result: BulkResult, names: Mapping[str, str]) -> dict[str, Any]:
    """A CSV upload answer: `{success, data: {contacts, errors, inserted, updated, submitted, success}}`."""
    return {
        "success": True,
        "data": {
            "contacts": [render_contact(c, names) for c in result.contacts],
            "errors": [{"row": e.row, "code": e.code, "description": e.description} for e in result.errors],
            "inserted": result.inserted,
            "updated": result.updated,
            "submitted": result.submitted,
            "success": result.inserted + result.updated,
        },
    }

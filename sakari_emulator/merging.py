"""The merge rules: pure functions over `Contact` that say what a create, a CSV row or a PUT makes.

`build_contact` (a new contact), `merge_contact` (a create onto an existing mobile, per
`mergeStrategy`), `replace_contact` (PUT) and `merge_lists` (memberships). No I/O, no lock: the
backend in `models.py` calls them and stores the result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

from .store import Contact, Membership, Scalar

MergeStrategy = Literal["append", "core", "remove"]
MERGE_STRATEGIES: tuple[str, ...] = get_args(MergeStrategy)


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A create/update body as sent; None means the field was absent (or null)."""

    mobile: str | None = None
    country: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    attributes: dict[str, Scalar] | None = None
    lists: tuple[str, ...] | None = None


def now_iso() -> str:
    """Current UTC time as ISO 8601 with milliseconds and a Z, e.g. 2024-05-01T12:00:00.123Z."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def merge_lists(
    current: list[Membership], requested: Sequence[str] | None, strategy: str, blocked: bool, now: str
) -> list[Membership]:
    """New memberships after a merge: a blocked contact's lists never change; opt-outs are never lost."""
    if blocked or strategy == "core":
        return list(current)
    wanted = list(dict.fromkeys(requested or ()))
    kept = list(current) if strategy == "append" else [m for m in current if m.list_id in wanted or m.opt_out]
    have = {m.list_id for m in kept}
    return kept + [Membership(list_id, now) for list_id in wanted if list_id not in have]


def build_contact(
    contact_id: str, mobile: str, country: str | None, data: ContactInput, blocked: str | None, now: str
) -> Contact:
    """A new contact from a create; a blocked mobile's contact joins no list."""
    return Contact(
        id=contact_id,
        mobile=mobile,
        country=country,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        attributes=dict(data.attributes or {}),
        lists=merge_lists([], data.lists, "append", blocked is not None, now),
        created_at=now,
        updated_at=now,
        blocked=blocked,
    )


def merge_contact(
    existing: Contact, data: ContactInput, country: str | None, strategy: str, now: str
) -> Contact:
    """Apply a create onto the contact with the same mobile, per `mergeStrategy`."""
    merged = replace(existing, attributes=dict(existing.attributes), updated_at=now)
    if strategy == "remove":
        merged.first_name, merged.last_name, merged.email = data.first_name, data.last_name, data.email
        merged.country = country
        merged.attributes = dict(data.attributes or {})
    else:
        merged.first_name = _pick(data.first_name, existing.first_name)
        merged.last_name = _pick(data.last_name, existing.last_name)
        merged.email = _pick(data.email, existing.email)
    if strategy == "append":
        merged.country = _pick(country, existing.country)
        merged.attributes.update(data.attributes or {})
    merged.lists = merge_lists(existing.lists, data.lists, strategy, existing.blocked is not None, now)
    return merged


def replace_contact(
    existing: Contact, data: ContactInput, mobile: str, country: str | None, blocked: str | None, now: str
) -> Contact:
    """Apply a PUT: names, email, attributes and mobile are replaced; lists are only added."""
    return replace(
        existing,
        mobile=mobile,
        country=country,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        attributes=dict(data.attributes or {}),
        lists=merge_lists(existing.lists, data.lists, "append", blocked is not None, now),
        blocked=blocked,
        updated_at=now,
    )


def _pick(new: str | None, old: str | None) -> str | None:
    return old if new is None else new

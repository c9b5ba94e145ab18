"""The emulator's state and rules: one account's contacts, lists and blocked mobiles.

`EmulatorBackend` is the only writer; routes parse a request into a `ContactInput`, call it, and
serialise what it returns. The merge rules (`build_contact`, `merge_contact`, `replace_contact`,
`merge_lists`) are pure functions over `Contact`. Storage is `store.ContactStore` (SQLite).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

from .auth import TokenAuthority
from .config import EmulatorConfig
from .exceptions import (
    BlockedMobileChangeError,
    InvalidMobileError,
    MobileTakenError,
    NotFoundError,
    SakariError,
    UnknownListError,
)
from .faults import FaultPlan
from .phones import normalize_mobile
from .store import Contact, ContactStore, Membership, Scalar

MergeStrategy = Literal["append", "core", "remove"]
MERGE_STRATEGIES: tuple[str, ...] = ("append", "core", "remove")

__all__ = ["Contact", "ContactInput", "EmulatorBackend", "Membership", "MergeStrategy", "Scalar"]


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


@dataclass(slots=True)
class RowError:
    row: int
    code: str
    description: str


@dataclass(slots=True)
class BulkResult:
    contacts: list[Contact] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    submitted: int = 0


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


class EmulatorBackend:
    """One Sakari account: contacts, lists, blocks, request statistics, tokens and faults."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tokens = TokenAuthority(config.client_id, config.client_secret, config.account_id)
        self.faults = FaultPlan(config)
        self._lock = threading.RLock()
        self._store = ContactStore(config.database, seed=config.seed, account_id=config.account_id)
        self._store.ensure_lists(config.lists)
        self._requests: Counter[tuple[str, str, int]] = Counter()
        self._dropped = 0

    # Contacts -----------------------------------------------------------------------------------

    def create_contact(self, data: ContactInput, strategy: str) -> tuple[Contact, bool]:
        """Upsert by mobile; returns the contact and whether it was inserted (else merged)."""
        # One write statement: SQLite's autocommit makes it atomic and durable, and the lock keeps
        # the read-then-write from interleaving, so no explicit transaction is needed (it is faster).
        with self._lock:
            return self._upsert(data, strategy, now_iso())

    def bulk_upsert(self, rows: Sequence[ContactInput | SakariError], strategy: str) -> BulkResult:
        """Upsert each row in one transaction; a bad row becomes a RowError (rows count from 1)."""
        result = BulkResult(submitted=len(rows))
        now = now_iso()
        with self._write():
            for number, row in enumerate(rows, start=1):
                try:
                    if isinstance(row, SakariError):
                        raise row
                    contact, inserted = self._upsert(row, strategy, now)
                except SakariError as exc:
                    result.errors.append(RowError(number, exc.error_code, exc.message))
                    continue
                result.contacts.append(contact)
                result.inserted += inserted
                result.updated += not inserted
        return result

    def list_contacts(self, filters: dict[str, str], offset: int, limit: int) -> tuple[list[Contact], int]:
        """A page of contacts in creation order, and how many match the filters in all."""
        with self._lock:
            return self._store.search(filters, offset, limit)

    def get_contact(self, contact_id: str) -> Contact:
        with self._lock:
            return self._existing(contact_id)

    def update_contact(self, contact_id: str, data: ContactInput) -> Contact:
        """PUT: replace the editable fields of one contact (one write statement, as in create)."""
        with self._lock:
            existing = self._existing(contact_id)
            mobile, country = existing.mobile, existing.country
            if data.mobile is not None:
                mobile, country = normalize_mobile(data.mobile, data.country)
            if mobile != existing.mobile:
                if existing.blocked is not None:
                    raise BlockedMobileChangeError()
                if self._store.find_by_mobile(mobile) is not None:
                    raise MobileTakenError()
            self._check_lists(data.lists)
            blocked = self._store.blocked_at(mobile)
            contact = replace_contact(existing, data, mobile, country, blocked, now_iso())
            self._store.save(contact)
            return contact

    def delete_contact(self, contact_id: str) -> None:
        with self._lock:
            if not self._store.delete(contact_id):
                raise NotFoundError()

    def all_contacts(self) -> list[Contact]:
        with self._lock:
            return self._store.all()

    # Emulator-only operations -------------------------------------------------------------------

    def block_mobile(self, number: str, country: str | None = None) -> tuple[str, str, Contact | None]:
        """Block a mobile as a STOP reply would: its contact (now or later) is blocked, lists opted out."""
        mobile, _ = normalize_mobile(number, country)
        now = now_iso()
        with self._write():
            blocked = self._store.block(mobile, now)
            contact = self._store.find_by_mobile(mobile)
            if contact is not None:
                lists = [replace(m, opt_out=m.opt_out or blocked) for m in contact.lists]
                contact = replace(contact, lists=lists, blocked=blocked, updated_at=now)
                self._store.save(contact)
        return mobile, blocked, contact

    def lists(self) -> list[tuple[str, str]]:
        """(id, name) of every list in the account, in creation order."""
        return list(self._store.lists.items())

    def list_names(self) -> dict[str, str]:
        return self._store.lists

    def reset(self) -> None:
        """Forget contacts, blocks and statistics, restart the faults; lists and fault settings stay."""
        with self._write():
            self._store.clear()
        self.faults.restart()
        with self._lock:
            self._requests.clear()
            self._dropped = 0

    def record_request(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self._requests[(method, route, status)] += 1

    def record_drop(self) -> None:
        with self._lock:
            self._dropped += 1

    def stats(self) -> dict[str, object]:
        """Request counts by method, route template and status, plus connections dropped on purpose."""
        with self._lock:
            rows = [
                {"method": m, "route": r, "status": s, "count": n}
                for (m, r, s), n in sorted(self._requests.items())
            ]
            return {"requests": rows, "total": sum(self._requests.values()), "dropped": self._dropped}

    def close(self) -> None:
        with self._lock:
            self._store.close()

    # Internals ----------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._lock, self._store.transaction():
            yield

    def _existing(self, contact_id: str) -> Contact:
        contact = self._store.get(contact_id)
        if contact is None:
            raise NotFoundError()
        return contact

    def _check_lists(self, list_ids: Sequence[str] | None) -> None:
        unknown = [i for i in list_ids or () if i not in self._store.lists]
        if unknown:
            raise UnknownListError(f"Unknown list id: {unknown[0]}")

    def _upsert(self, data: ContactInput, strategy: str, now: str) -> tuple[Contact, bool]:
        if data.mobile is None:
            raise InvalidMobileError("Invalid mobile number: mobile.number is required")
        mobile, country = normalize_mobile(data.mobile, data.country)
        self._check_lists(data.lists)
        existing = self._store.find_by_mobile(mobile)
        if existing is None:
            seq, contact_id = self._store.next_id()
            contact = build_contact(contact_id, mobile, country, data, self._store.blocked_at(mobile), now)
            self._store.insert(seq, contact)
            return contact, True
        contact = merge_contact(existing, data, country, strategy, now)
        self._store.save(contact)
        return contact, False

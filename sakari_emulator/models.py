"""The emulator's state: one account's contacts, lists and blocked mobiles, with its faults and rules.

`EmulatorBackend` is the only writer; routes parse a request into a `ContactInput`, call it, and
serialise what it returns. What a write makes of a contact is decided by the pure functions in
`merging.py`; storage is `store.ContactStore` (SQLite); fault settings are `faults.FaultPlan` and
fault rules `rules.RuleBook`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from .auth import TokenAuthority
from .config import EmulatorConfig, check_styles
from .exceptions import (
    ApiError,
    BlockedMobileChangeError,
    ContactNotFoundError,
    InvalidMobileError,
    MobileTakenError,
    UnknownListError,
)
from .faults import FaultPlan
from .merging import (
    MERGE_STRATEGIES,
    ContactInput,
    MergeStrategy,
    build_contact,
    merge_contact,
    now_iso,
    replace_contact,
)
from .phones import normalize_mobile
from .rules import RuleBook
from .store import Contact, ContactStore, Membership, Scalar

__all__ = [
    "MERGE_STRATEGIES", "Contact", "ContactInput", "EmulatorBackend", "Membership", "MergeStrategy", "Scalar",
]  # fmt: skip


@dataclass(slots=True)
class RowError:
    """A CSV row that was not imported; `data` is the row as sent (None if it could not be read)."""

    row: int
    code: str
    description: str
    data: ContactInput | None = None


@dataclass(slots=True)
class BulkResult:
    contacts: list[Contact] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    submitted: int = 0


class EmulatorBackend:
    """One Sakari account: contacts, lists, blocks, request statistics, tokens and faults."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tokens = TokenAuthority(config.client_id, config.client_secret, config.account_id)
        self.faults = FaultPlan(config)
        self.rules = RuleBook()
        self.styles: dict[str, Any] = config.styles()
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

    def bulk_upsert(
        self,
        rows: Sequence[ContactInput | ApiError],
        strategy: str,
        check: Callable[[str], None] | None = None,
    ) -> BulkResult:
        """Upsert each row in one transaction; a bad row becomes a RowError (rows count from 1).

        `check` is called with each row's E.164 mobile before it is written; an `ApiError` it raises
        (a fault rule naming that mobile) becomes the row's error.
        """
        result = BulkResult(submitted=len(rows))
        now = now_iso()
        with self._write():
            for number, row in enumerate(rows, start=1):
                try:
                    if isinstance(row, ApiError):
                        raise row
                    contact, inserted = self._upsert(row, strategy, now, check)
                except ApiError as exc:
                    data = None if isinstance(row, ApiError) else row
                    result.errors.append(RowError(number, exc.error_code, exc.message, data))
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
                raise ContactNotFoundError()

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

    def set_styles(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change the answer styles (ValueError if invalid); returns all of them."""
        self.styles = {**self.styles, **check_styles(changes)}
        return dict(self.styles)

    def reset(self) -> None:
        """Forget contacts, blocks, statistics and fault rules, restart the faults; lists, fault
        settings and answer styles stay."""
        with self._write():
            self._store.clear()
        self.faults.restart()
        self.rules.clear()
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
            raise ContactNotFoundError()
        return contact

    def _check_lists(self, list_ids: Sequence[str] | None) -> None:
        unknown = [i for i in list_ids or () if i not in self._store.lists]
        if unknown:
            raise UnknownListError(f"Unknown list id: {unknown[0]}")

    def _upsert(
        self, data: ContactInput, strategy: str, now: str, check: Callable[[str], None] | None = None
    ) -> tuple[Contact, bool]:
        if data.mobile is None:
            raise InvalidMobileError("Invalid mobile number: mobile.number is required")
        mobile, country = normalize_mobile(data.mobile, data.country)
        if check is not None:
            check(mobile)
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

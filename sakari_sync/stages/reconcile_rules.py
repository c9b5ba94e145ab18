"""Reconcile's rules, without I/O: what counts as drift, what each finding leads to, which read-back
costs fewer requests, and when the whole account is due to be read again (see reconcile.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sakari_client.models import Contact
from sakari_client.redaction import mask_phone
from sakari_sync.outcomes import Change, LedgerStatus

SAMPLE = 10
PAGE = 100


class Finding(StrEnum):
    """What reading a contact back found."""

    MISSING = "missing"
    DRIFTED = "drifted"
    BLOCKED = "blocked"
    EXTRA = "extra"


class Mode(StrEnum):
    """How Sakari was read back: the whole account page by page, or one GET per touched contact."""

    LIST = "list"
    GET = "get"


class Scope(StrEnum):
    """How much of Sakari a reconcile read back (see the module docstring)."""

    NONE = "none"
    TOUCHED = "touched"
    ACCOUNT = "account"


def diff_fields(expected: dict[str, Any], actual: Contact) -> list[str]:
    """Names of the fields Sakari holds differently from the payload we sent (pure)."""
    changed: list[str] = [
        f for f in ("firstName", "lastName", "email") if f in expected and expected[f] != getattr(actual, f)
    ]
    for key, value in (expected.get("attributes") or {}).items():
        if _as_text(actual.attributes.get(key)) != _as_text(value):
            changed.append(f"attributes.{key}")
    have = {lst.id for lst in actual.lists}
    if any(ref["id"] not in have for ref in expected.get("lists") or []):
        changed.append("lists")
    return changed


def _as_text(value: Any) -> str | None:
    # A CSV import stores attributes as text: 12.5 sent is "12.5" read back, and that is no drift.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def choose_mode(touched: int, account_size: int) -> Mode:
    """`get` when one GET per touched contact costs fewer requests than listing the account."""
    return Mode.GET if 0 < touched < math.ceil(account_size / PAGE) else Mode.LIST


def full_read_due(last: dt.datetime | None, every_hours: float | None, at: dt.datetime) -> bool:
    """Whether a run at `at` reads the whole account: never without a cadence; at once when it was
    never read; else from `next_full_read` on."""
    due = next_full_read(last, every_hours)
    return every_hours is not None and (due is None or at >= due)


def next_full_read(last: dt.datetime | None, every_hours: float | None) -> dt.datetime | None:
    """From when a run reads the whole account again (None: no cadence, or never read). A run a
    little early counts as on time (5% of the interval, an hour at most), so that a nightly schedule
    with a 24-hour cadence reads the account every night, not every other night."""
    if every_hours is None or last is None:
        return None
    every = dt.timedelta(hours=every_hours)
    return last + every - min(every * 0.05, dt.timedelta(hours=1))


@dataclass
class ReconcileReport:
    """What the read-back found: counts and a masked sample per finding."""

    scope: Scope = Scope.NONE
    mode: Mode | None = None  # None: nothing was read
    checked: int = 0
    requests: int = 0  # sent to Sakari by this reconcile (reads, a count, repairs), token aside
    counts: dict[Finding, int] = field(default_factory=lambda: dict.fromkeys(Finding, 0))
    repaired: int = 0
    next_full_read: dt.datetime | None = None  # None: no cadence (only `reconcile-contacts`)
    samples: dict[Finding, list[dict[str, str]]] = field(default_factory=lambda: {f: [] for f in Finding})

    def summary(self) -> dict[str, Any]:
        """The run report's `reconcile` entry: what was read and how, what it cost, what it found."""
        due = self.next_full_read.isoformat(timespec="seconds") if self.next_full_read else None
        return {
            "scope": str(self.scope),
            "mode": str(self.mode or "none"),
            "checked": self.checked,
            "requests": self.requests,
            **{str(kind): n for kind, n in self.counts.items()},
            "repaired": self.repaired,
            "next_full_read": due,
        }

    def note(self, kind: Finding, mobile: str, source_key: str | None, detail: str = "") -> None:
        """Count a finding, and keep it (masked) in the sample while there is room."""
        self.counts[kind] += 1
        if len(self.samples[kind]) < SAMPLE:
            sample = {"finding": str(kind), "mobile": mask_phone(mobile), "source_key": source_key or ""}
            self.samples[kind].append(sample | {"detail": detail})


@dataclass
class Expected:
    """What the ledger says Sakari should hold for one mobile."""

    change: Change
    contact_id: str | None
    status: str


def expected_of(rows: Iterable[Any]) -> dict[str, Expected]:
    """Ledger rows as what Sakari should hold, keyed by mobile."""
    out = {}
    for r in rows:
        change = Change(r.mobile, r.source_key, r.payload, r.payload_hash, r.contact_id, r.payload, r.blocked)
        out[r.mobile] = Expected(change, r.contact_id, r.status)
    return out


def judge(exp: Expected | None, contact: Contact | None, report: ReconcileReport) -> Change | None:
    """Record the finding for one contact; return what to send to repair it, if anything may be sent."""
    if exp is None:
        if contact is not None and contact.mobile and contact.mobile.number:
            report.note(Finding.EXTRA, contact.mobile.number, None, "not in the source")
        return None
    mobile = exp.change.mobile
    if exp.change.blocked or (contact is not None and contact.blocked):
        report.note(Finding.BLOCKED, mobile, exp.change.source_key)
        return None
    if exp.status == LedgerStatus.ABSENT:
        if contact is not None:
            report.note(Finding.EXTRA, mobile, exp.change.source_key, "no longer in the source")
        return None
    if contact is None:
        report.note(Finding.MISSING, mobile, exp.change.source_key)
        return exp.change
    changed = diff_fields(json.loads(exp.change.payload), contact)
    if changed:
        report.note(Finding.DRIFTED, mobile, exp.change.source_key, ", ".join(changed))
        return exp.change
    return None

"""Reconcile: read back what Sakari holds and compare it with what the ledger says we wrote.

Findings per contact:
- missing: in the ledger, not in Sakari (deleted there): recreated when repair is on.
- drifted: fields differ from what we sent (edited in Sakari since): rewritten when repair is on.
- blocked: the person opted out: recorded in `sakari_optouts`, never sent to again, never unblocked.
- extra: in Sakari but not in the ledger, or absent from the source since: reported only.

What is read back (`Scope`), so that a reconcile costs what the run changed:
- account: the whole account, a page of 100 per request: the only read that finds extras, and
  contacts deleted or edited in Sakari that no run touched. When asked (`reconcile-contacts`), when
  the cadence says it is due, and when it costs fewer requests than the GETs of a touched read.
- touched: one GET per contact this run sent (or learned was blocked): finds missing, drifted and
  blocked among those only. Known opt-outs are not fetched.
- none: the run touched nothing, so nothing is sent (not even a count).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sakari_client import SakariClient
from sakari_client.errors import NotFoundError
from sakari_client.models import Contact, MergeStrategy
from sakari_client.redaction import mask_phone
from sakari_sync.outcomes import Change, ContactResult, LedgerStatus, Outcome
from sakari_sync.stages.load import send_batch
from sakari_sync.state.ledger import Ledger, now
from sakari_sync.state.syncs import count_known_contacts, read_full_reconcile_at, write_full_reconcile_at

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


async def read_by_listing(
    client: SakariClient, ledger: Ledger, report: ReconcileReport
) -> tuple[list[Change], list[ContactResult]]:
    """List the whole account a page at a time, comparing each page with its ledger rows."""
    repairs: list[Change] = []
    blocked: list[ContactResult] = []
    seen: set[str] = set()
    page: list[Contact] = []

    def flush() -> None:
        mobiles = [c.mobile.number for c in page if c.mobile and c.mobile.number]
        expected = expected_of(ledger.rows_for(mobiles))
        for contact in page:
            number = contact.mobile.number if contact.mobile else None
            if not number:
                continue
            seen.add(number)
            exp = expected.get(number)
            _collect(exp, contact, report, repairs, blocked)
        page.clear()

    async for contact in client.list_contacts(page_size=PAGE):
        report.checked += 1
        page.append(contact)
        if len(page) >= PAGE:
            flush()
    flush()
    for rows in ledger.iter_accepted(exclude=seen):
        for exp in expected_of(rows).values():
            _collect(exp, None, report, repairs, blocked)
    return repairs, blocked


async def read_by_gets(
    client: SakariClient, ledger: Ledger, report: ReconcileReport, touched: list[str]
) -> tuple[list[Change], list[ContactResult]]:
    """One GET per contact the run touched (cheaper than listing a much larger account), a page of
    them at a time, as many in flight as the client allows."""
    repairs: list[Change] = []
    blocked: list[ContactResult] = []
    for start in range(0, len(touched), PAGE):
        expected = list(expected_of(ledger.rows_for(touched[start : start + PAGE])).values())
        contacts = await asyncio.gather(*(fetch_contact(client, exp, report) for exp in expected))
        for exp, contact in zip(expected, contacts, strict=True):
            _collect(exp, contact, report, repairs, blocked)
    return repairs, blocked


async def fetch_contact(client: SakariClient, exp: Expected, report: ReconcileReport) -> Contact | None:
    """The contact as Sakari holds it now (None: gone, or never confirmed). A known opt-out is not
    fetched: whatever Sakari holds for it, nothing is sent to it."""
    if exp.contact_id is None or exp.change.blocked:
        return None
    report.checked += 1
    try:
        return await client.get_contact(exp.contact_id)
    except NotFoundError:
        return None


def _collect(
    exp: Expected | None,
    contact: Contact | None,
    report: ReconcileReport,
    repairs: list[Change],
    blocked: list[ContactResult],
) -> None:
    repair = judge(exp, contact, report)
    if repair is not None:
        repairs.append(repair)
    elif exp is not None and contact is not None and contact.blocked and not exp.change.blocked:
        blocked.append(
            ContactResult(
                exp.change, Outcome.SUPPRESSED, contact_id=contact.id, blocked_at=str(contact.blocked)
            )
        )


async def reconcile_account(
    client: SakariClient,
    ledger: Ledger,
    run_id: str,
    *,
    repair: bool,
    merge_strategy: MergeStrategy,
    full_every_hours: float | None = None,
    whole_account: bool = False,
) -> ReconcileReport:
    """Read Sakari back, record opt-outs, and repair what is missing or drifted (when `repair`).

    Reads the whole account when `whole_account` is set or `full_every_hours` have passed since the
    last full read (stored once a full read is done); else only what run `run_id` touched."""
    sent, at = _api_requests(client), now()
    last = read_full_reconcile_at(ledger.engine, ledger.sync_name)
    due = whole_account or full_read_due(last, full_every_hours, at)
    touched = [] if due else ledger.touched_mobiles(run_id)
    report = ReconcileReport(mode=await _choose_read(client, ledger, len(touched), due=due))
    repairs: list[Change] = []
    blocked: list[ContactResult] = []
    if report.mode is Mode.GET:
        report.scope = Scope.TOUCHED
        repairs, blocked = await read_by_gets(client, ledger, report, touched)
    elif report.mode is Mode.LIST:
        report.scope = Scope.ACCOUNT
        repairs, blocked = await read_by_listing(client, ledger, report)
    if blocked:
        ledger.record(run_id, blocked)
    if repair and repairs:
        results = await send_batch(client, repairs, merge_strategy)
        ledger.record(run_id, results)
        report.repaired = sum(1 for r in results if r.outcome in (Outcome.CREATED, Outcome.UPDATED))
    if report.scope is Scope.ACCOUNT:
        write_full_reconcile_at(ledger.engine, ledger.sync_name, at)
        last = at
    report.next_full_read = next_full_read(last, full_every_hours)
    report.requests = _api_requests(client) - sent
    return report


async def _choose_read(client: SakariClient, ledger: Ledger, touched: int, *, due: bool) -> Mode | None:
    """LIST for a full read; None when nothing was touched; else GET per touched contact, unless
    listing costs fewer requests. The ledger's size (about the least the account holds) settles
    most runs; Sakari is asked for the account's size only when the ledger alone cannot tell."""
    if due:
        return Mode.LIST
    if touched == 0:
        return None
    if choose_mode(touched, count_known_contacts(ledger.engine, ledger.sync_name)) is Mode.GET:
        return Mode.GET
    return choose_mode(touched, await client.count_contacts())


def _api_requests(client: SakariClient) -> int:
    stats = client.stats
    return stats.requests - stats.token_fetches

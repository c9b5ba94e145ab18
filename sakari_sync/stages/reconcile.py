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

from sakari_client import SakariClient
from sakari_client.errors import NotFoundError
from sakari_client.models import Contact, MergeStrategy
from sakari_sync.outcomes import Change, ContactResult, Outcome
from sakari_sync.stages.load import send_batch
from sakari_sync.stages.reconcile_rules import (
    PAGE,
    Expected,
    Finding,
    Mode,
    ReconcileReport,
    Scope,
    choose_mode,
    expected_of,
    full_read_due,
    judge,
    next_full_read,
)
from sakari_sync.state.ledger import Ledger, now
from sakari_sync.state.syncs import count_known_contacts, read_full_reconcile_at, write_full_reconcile_at

__all__ = ["Finding", "Mode", "ReconcileReport", "Scope", "reconcile_account"]


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

"""Reconcile: read back what Sakari holds and compare it with what the ledger says we wrote.

Findings per contact:
- missing: in the ledger, not in Sakari (deleted there): recreated when repair is on.
- drifted: fields differ from what we sent (edited in Sakari since): rewritten when repair is on.
- blocked: the person opted out: recorded in `sakari_optouts`, never sent to again, never unblocked.
- extra: in Sakari but not in the ledger, or absent from the source since: reported only.

Read-back is either a listing of the whole account (pages of 100) or one GET per contact, whichever
costs fewer requests for this run; the report names the mode. A GET per contact cannot see `extra`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prefect import task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from sakari_client import SakariClient
from sakari_client.errors import NotFoundError
from sakari_client.models import Contact
from sakari_client.redaction import mask_phone
from sakari_sync.config import MergeStrategy
from sakari_sync.stages.load import send_batch
from sakari_sync.state.store import Change, Outcome, StateStore

FINDINGS = ("missing", "drifted", "blocked", "extra")
SAMPLE = 10
PAGE = 100


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


def choose_mode(touched: int, account_size: int) -> str:
    """`get` when one GET per touched contact costs fewer requests than listing the account."""
    return "get" if 0 < touched < math.ceil(account_size / PAGE) else "list"


@dataclass
class ReconcileReport:
    mode: str = "list"
    checked: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FINDINGS, 0))
    repaired: int = 0
    samples: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {f: [] for f in FINDINGS})

    def note(self, kind: str, mobile: str, source_key: str | None, detail: str = "") -> None:
        self.counts[kind] += 1
        if len(self.samples[kind]) < SAMPLE:
            self.samples[kind].append(
                {
                    "finding": kind,
                    "mobile": mask_phone(mobile),
                    "source_key": source_key or "",
                    "detail": detail,
                }
            )


@dataclass
class _Expected:
    change: Change
    contact_id: str | None
    status: str


def _expected(rows: Iterable[Any]) -> dict[str, _Expected]:
    out = {}
    for r in rows:
        change = Change(r.mobile, r.source_key, r.payload, r.payload_hash, r.contact_id, r.payload, r.blocked)
        out[r.mobile] = _Expected(change, r.contact_id, r.status)
    return out


def judge(exp: _Expected | None, contact: Contact | None, report: ReconcileReport) -> Change | None:
    """Record the finding for one contact; return what to send to repair it, if anything may be sent."""
    if exp is None:
        if contact is not None and contact.mobile and contact.mobile.number:
            report.note("extra", contact.mobile.number, None, "not in the source")
        return None
    mobile = exp.change.mobile
    if exp.change.blocked or (contact is not None and contact.blocked):
        report.note("blocked", mobile, exp.change.source_key)
        return None
    if exp.status == "absent":
        if contact is not None:
            report.note("extra", mobile, exp.change.source_key, "no longer in the source")
        return None
    if contact is None:
        report.note("missing", mobile, exp.change.source_key)
        return exp.change
    changed = diff_fields(json.loads(exp.change.payload), contact)
    if changed:
        report.note("drifted", mobile, exp.change.source_key, ", ".join(changed))
        return exp.change
    return None


async def read_by_listing(
    client: SakariClient, store: StateStore, report: ReconcileReport
) -> tuple[list[Change], list[Outcome]]:
    """List the whole account a page at a time, comparing each page with its ledger rows."""
    repairs: list[Change] = []
    blocked: list[Outcome] = []
    seen: set[str] = set()
    page: list[Contact] = []

    def flush() -> None:
        mobiles = [c.mobile.number for c in page if c.mobile and c.mobile.number]
        expected = _expected(store.ledger_rows(mobiles))
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
    for rows in store.iter_ledger(exclude=seen):
        for exp in _expected(rows).values():
            _collect(exp, None, report, repairs, blocked)
    return repairs, blocked


async def read_by_gets(
    client: SakariClient, store: StateStore, report: ReconcileReport, touched: list[str]
) -> tuple[list[Change], list[Outcome]]:
    """One GET per contact the run touched (cheaper than listing a much larger account)."""
    repairs: list[Change] = []
    blocked: list[Outcome] = []
    for start in range(0, len(touched), PAGE):
        for exp in _expected(store.ledger_rows(touched[start : start + PAGE])).values():
            contact = None
            if exp.contact_id:
                report.checked += 1
                try:
                    contact = await client.get_contact(exp.contact_id)
                except NotFoundError:
                    contact = None
            _collect(exp, contact, report, repairs, blocked)
    return repairs, blocked


def _collect(
    exp: _Expected | None,
    contact: Contact | None,
    report: ReconcileReport,
    repairs: list[Change],
    blocked: list[Outcome],
) -> None:
    repair = judge(exp, contact, report)
    if repair is not None:
        repairs.append(repair)
    elif exp is not None and contact is not None and contact.blocked and not exp.change.blocked:
        blocked.append(
            Outcome(exp.change, "suppressed", contact_id=contact.id, blocked_at=str(contact.blocked))
        )


@task(name="reconcile", cache_policy=NO_CACHE)
async def reconcile_account(
    client: SakariClient, store: StateStore, run_id: str, *, repair: bool, merge_strategy: MergeStrategy
) -> ReconcileReport:
    """Read Sakari back, record opt-outs, repair what is missing or drifted, and publish the findings."""
    touched = store.touched_mobiles(run_id)
    report = ReconcileReport(mode=choose_mode(len(touched), await client.count_contacts()))
    if report.mode == "get":
        repairs, blocked = await read_by_gets(client, store, report, touched)
    else:
        repairs, blocked = await read_by_listing(client, store, report)
    store.record_outcomes(run_id, blocked)
    if repair and repairs:
        results = await send_batch(client, repairs, merge_strategy)
        store.record_outcomes(run_id, results)
        report.repaired = sum(1 for r in results if r.status in ("created", "updated"))
    await publish_reconcile(report)
    return report


async def publish_reconcile(report: ReconcileReport) -> None:
    table = [{"finding": k, "contacts": n} for k, n in report.counts.items()]
    table += [
        {"finding": "repaired", "contacts": report.repaired},
        {"finding": "checked", "contacts": report.checked},
    ]
    await acreate_table_artifact(
        table=table,
        key="sakari-reconcile-summary",
        description=f"What Sakari holds versus what we sent (read-back by {report.mode}).",
    )
    sample = [row for rows in report.samples.values() for row in rows]
    if sample:
        await acreate_table_artifact(
            table=sample, key="sakari-reconcile-sample", description="A masked sample of each finding."
        )

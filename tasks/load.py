"""Load: send the changed contacts to Sakari, a batch at a time, and record every outcome.

Outcomes per contact: created, updated, suppressed (Sakari answered `CONT-010`: the person opted out,
or our opt-out table already knows it), rejected (Sakari refused this contact, with its code), failed
(transient errors outlasted the client's retries; the contact is sent again next run). An
authentication or account error is not per contact: it stops the run.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from sakari_client import SakariClient
from sakari_client.errors import ContactRejectedError, TransientError
from sakari_client.models import Contact, ContactIn
from sakari_client.redaction import redact
from sakari_sync.config import MergeStrategy
from tasks.run import RunContext
from tasks.state import Change, Outcome, StateStore

BLOCKED_CODE = "CONT-010"


async def send_change(client: SakariClient, change: Change, merge_strategy: MergeStrategy) -> Outcome:
    """Create (upsert by mobile) one contact and say what happened to it."""
    if change.blocked:
        # Known opt-out: send nothing at all, so no merge strategy can touch it.
        return Outcome(change, "suppressed", contact_id=change.known_contact_id)
    body = ContactIn.model_validate_json(change.payload)
    try:
        contact = await client.create_contact(body, merge_strategy=merge_strategy)
    except ContactRejectedError as exc:
        return Outcome(change, "rejected", error=redact(f"{exc.code or exc.status}: {exc.message}"))
    except TransientError as exc:
        return Outcome(change, "failed", error=redact(f"{exc.code or exc.status}: {exc.message}"))
    return outcome_of(change, contact)


def outcome_of(change: Change, contact: Contact | None) -> Outcome:
    """What Sakari's answer for an accepted contact means: suppressed if it is blocked, else
    updated when the ledger already knew a Sakari contact for the mobile, created otherwise."""
    if contact is not None and (contact.blocked or (contact.error and contact.error.code == BLOCKED_CODE)):
        blocked_at = str(contact.blocked) if contact.blocked else None
        return Outcome(change, "suppressed", contact_id=contact.id, blocked_at=blocked_at)
    status = "updated" if change.known_contact_id else "created"
    return Outcome(change, status, contact_id=contact.id if contact else change.known_contact_id)


async def send_batch(
    client: SakariClient, changes: list[Change], merge_strategy: MergeStrategy
) -> list[Outcome]:
    """Send a batch concurrently; the client bounds requests in flight and paces them."""
    return list(await asyncio.gather(*(send_change(client, c, merge_strategy) for c in changes)))


@task(name="load-batch", task_run_name="load-batch-{index}", cache_policy=NO_CACHE)
async def load_batch(
    client: SakariClient,
    store: StateStore,
    changes: list[Change],
    merge_strategy: MergeStrategy,
    run_id: str,
    index: int,
    bulk: bool = False,
) -> dict[str, int]:
    """Send one batch, write its outcomes to the ledger, and return counts by outcome."""
    if bulk:
        from tasks.bulk import send_bulk

        outcomes = await send_bulk(client, changes, merge_strategy)
    else:
        outcomes = await send_batch(client, changes, merge_strategy)
    store.record_outcomes(run_id, outcomes)
    return dict(Counter(o.status for o in outcomes))


@task(name="stage-page", task_run_name="stage-page-{page_no}", cache_policy=NO_CACHE)
def stage_page(
    store: StateStore, run_id: str, valid: pd.DataFrame, rejects: pd.DataFrame, page_no: int
) -> None:
    """Put one transformed page into the state database's staging area."""
    store.stage(run_id, valid, rejects)


@task(name="plan-load", cache_policy=NO_CACHE)
def plan_load(run: RunContext) -> None:
    """Settle duplicates across pages, then count what is unchanged and what must be sent."""
    run.store.resolve_duplicates(run.run_id)
    if run.watermark is None and not run.dry_run:
        run.store.mark_absent(run.run_id)  # a full read: what no row claims any more left the source
    plan = run.store.count_plan(run.run_id)
    run.report.rejected_by_reason = run.store.reject_counts(run.run_id)
    run.report.rejected = sum(run.report.rejected_by_reason.values())
    run.report.unchanged = plan["winners"] - plan["pending"]
    run.pending = plan["pending"]

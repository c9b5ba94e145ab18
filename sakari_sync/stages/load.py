"""Load: send the changed contacts to Sakari, a batch at a time, and record every outcome.

Outcomes per contact: created, updated, suppressed (Sakari answered `CONT-010`: the person opted out,
or our opt-out table already knows it), rejected (Sakari refused this contact, with its code), failed
(transient errors outlasted the client's retries; the contact is sent again next run). An
authentication or account error is not per contact: it stops the run.

A `Breaker` shared by the batches in flight stops the load early when going on cannot help:
- Sakari is down: `FAILURES_TO_TRIP` contacts in a row failed, each after the client's whole retry
  budget (`sakari.retry_attempts`, `sakari.retry_timeout`), with no success in between;
- Sakari refuses the configuration: the first contacts of the run were all refused with the same
  code and none was accepted (e.g. an unknown list id), so every other contact would be refused too;
- a fatal error (401, 403, ...) in any send.
Contacts answered so far are recorded (failed ones as `failed`); the others get no outcome and stay
pending, so the next run sends them. The run then fails with one line saying why (`LoadStoppedError`
or the fatal error), and its cursor does not advance.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from sakari_client import SakariClient
from sakari_client.errors import ContactRejectedError, SakariError, TransientError
from sakari_client.models import Contact, ContactIn
from sakari_client.redaction import redact
from sakari_sync.config import MergeStrategy
from sakari_sync.run import RunContext
from sakari_sync.state.store import Change, Outcome, StateStore

BLOCKED_CODE = "CONT-010"
PER_CONTACT_CODES = frozenset({"CONT-001"})  # Sakari's verdict on one number, never on the setup
FAILURES_TO_TRIP = 10
REJECTIONS_TO_TRIP = 10


class LoadStoppedError(Exception):
    """The load stopped early; the message says why and what to do. Unsent contacts stay pending."""


class SakariUnavailableError(LoadStoppedError):
    """Contact after contact failed with transient errors after all its retries: Sakari is down."""


class ConfigurationRefusedError(LoadStoppedError):
    """Sakari refused every contact sent so far with the same code: the setup is wrong, not the data."""


class Breaker:
    """Watches the outcomes of one load and stops it when going on cannot help (thresholds None = off)."""

    def __init__(self, *, failures_to_trip: int | None = None, rejections_to_trip: int | None = None) -> None:
        self.failures_to_trip = failures_to_trip
        self.rejections_to_trip = rejections_to_trip
        self.failures_in_a_row = 0
        self.accepted = 0
        self.refusals: Counter[str] = Counter()
        self.error: Exception | None = None
        self.stopped = asyncio.Event()

    @classmethod
    def for_load(cls, pending: int) -> Breaker:
        """The load's breaker, every rule on; a run of fewer contacts trips when all of them fail or
        are refused alike."""
        few = max(1, pending)
        return cls(
            failures_to_trip=min(FAILURES_TO_TRIP, few), rejections_to_trip=min(REJECTIONS_TO_TRIP, few)
        )

    def stop(self, error: Exception) -> None:
        """Stop the load (the first reason given is the one reported)."""
        if self.error is None:
            self.error = error
        self.stopped.set()

    def note(self, outcome: Outcome) -> None:
        """Count one contact's outcome, and stop if it completes a pattern that says give up."""
        if outcome.status != "failed":
            self.failures_in_a_row = 0
        if outcome.status in ("created", "updated"):
            self.accepted += 1
        elif outcome.status == "failed":
            self.failures_in_a_row += 1
            if self.failures_to_trip is not None and self.failures_in_a_row >= self.failures_to_trip:
                self.stop(
                    SakariUnavailableError(
                        f"Sakari kept failing ({outcome.error}) for {_contacts(self.failures_in_a_row)} in "
                        "a row, each after all its retries; the load stopped and the contacts not sent stay "
                        "pending for the next run: check that Sakari is up, then run again"
                    )
                )
        elif outcome.status == "rejected" and not self.accepted:
            self._note_refusal(outcome.error or "")

    def _note_refusal(self, error: str) -> None:
        code, _, message = error.partition(": ")
        if code in PER_CONTACT_CODES or self.rejections_to_trip is None:
            return
        self.refusals[code] += 1
        if len(self.refusals) == 1 and self.refusals[code] >= self.rejections_to_trip:
            fix = "check the sync's mapping and the Sakari account"
            if "list" in f"{code} {message}".lower():
                fix = "check the list ids in mapping.lists against the account's lists"
            self.stop(
                ConfigurationRefusedError(
                    f"Sakari refused the first {_contacts(self.refusals[code])} of the run, each with "
                    f"{error}; that is the configuration, not the data: {fix}, then run again"
                )
            )


def _contacts(n: int) -> str:
    return "1 contact" if n == 1 else f"{n} contacts"


async def send_change(client: SakariClient, change: Change, merge_strategy: MergeStrategy) -> Outcome:
    """Create (upsert by mobile) one contact and say what happened to it."""
    if change.blocked:
        # Known opt-out: send nothing at all, so no merge strategy can touch it.
        return Outcome(change, "suppressed", contact_id=change.known_contact_id)
    body = ContactIn.model_validate_json(change.payload)
    try:
        contact = await client.create_contact(body, merge_strategy=merge_strategy)
    except ContactRejectedError as exc:
        return error_outcome(change, "rejected", exc)
    except TransientError as exc:
        return error_outcome(change, "failed", exc)
    return outcome_of(change, contact)


def error_outcome(change: Change, status: str, exc: SakariError) -> Outcome:
    """A contact Sakari refused (`rejected`) or could not be reached for (`failed`), with the code."""
    return Outcome(change, status, error=redact(f"{exc.code or exc.status}: {exc.message}"))


def outcome_of(change: Change, contact: Contact | None) -> Outcome:
    """What Sakari's answer for an accepted contact means: suppressed if it is blocked, else
    updated when the ledger already knew a Sakari contact for the mobile, created otherwise."""
    if contact is not None and (contact.blocked or (contact.error and contact.error.code == BLOCKED_CODE)):
        blocked_at = str(contact.blocked) if contact.blocked else None
        return Outcome(change, "suppressed", contact_id=contact.id, blocked_at=blocked_at)
    status = "updated" if change.known_contact_id else "created"
    return Outcome(change, status, contact_id=contact.id if contact else change.known_contact_id)


async def send_batch(
    client: SakariClient, changes: list[Change], merge_strategy: MergeStrategy, breaker: Breaker | None = None
) -> list[Outcome]:
    """Send a batch concurrently (the client bounds requests in flight and paces them); return the
    outcomes of the contacts answered.

    When the breaker stops (a fatal error, or a rule of the caller's breaker, here or in another
    batch), the contacts not yet answered are abandoned: no outcome, so they stay pending. Without a
    `breaker` of the caller's, a fatal error is raised here; with one, the caller raises
    `breaker.error` once it has recorded the outcomes.
    """
    watch = breaker or Breaker()
    sends = [asyncio.ensure_future(_send_watched(client, c, merge_strategy, watch)) for c in changes]
    everything = asyncio.gather(*sends, return_exceptions=True)
    stopped = asyncio.ensure_future(watch.stopped.wait())
    try:
        first: set[asyncio.Future[Any]] = {everything, stopped}
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (*sends, stopped):
            pending.cancel()  # nothing for those already done
        await asyncio.gather(everything, stopped, return_exceptions=True)
    if breaker is None and watch.error is not None:
        raise watch.error
    return [r for r in everything.result() if isinstance(r, Outcome)]


async def _send_watched(
    client: SakariClient, change: Change, merge_strategy: MergeStrategy, breaker: Breaker
) -> Outcome | None:
    if breaker.error is not None:
        return None  # the load is stopping: this contact stays pending
    try:
        outcome = await send_change(client, change, merge_strategy)
    except Exception as exc:  # fatal (401, 403, a malformed answer): the same for every contact
        breaker.stop(exc)
        return None
    breaker.note(outcome)
    return outcome


@task(name="load-batch", task_run_name="load-batch-{index}", cache_policy=NO_CACHE)
async def load_batch(
    client: SakariClient,
    store: StateStore,
    changes: list[Change],
    merge_strategy: MergeStrategy,
    run_id: str,
    index: int,
    bulk: bool = False,
    breaker: Breaker | None = None,
) -> dict[str, int]:
    """Send one batch, write its outcomes to the ledger, and return counts by outcome.

    If the `breaker` (shared with the other batch in flight) stops, what was answered is recorded
    first, then its error is raised.
    """
    breaker = breaker or Breaker.for_load(len(changes))
    if bulk:
        from sakari_sync.stages.bulk import send_bulk

        outcomes = await send_bulk(client, changes, merge_strategy)
        for outcome in outcomes:
            breaker.note(outcome)
    else:
        outcomes = await send_batch(client, changes, merge_strategy, breaker)
    store.record_outcomes(run_id, outcomes)
    if breaker.error is not None:
        raise breaker.error
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

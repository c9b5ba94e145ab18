"""Load: send the changed contacts to Sakari, batch by batch, and say what became of each one.

Outcomes per contact (`Outcome`): created, updated, suppressed (Sakari answered `CONT-010`: the person
opted out, or our opt-out table already knows it), rejected (Sakari refused this contact, with its
code and message), failed (transient errors outlasted the client's retries). An authentication or
account error is not per contact: it stops the load as `SakariAccessError`.

`run_batches` keeps a few batches in flight (the next batch's requests start while the last one's
stragglers finish) and stops them all when the shared `Breaker` trips; contacts answered so far are
recorded, the others get no result and stay pending for the next run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sakari_client import SakariClient
from sakari_client.errors import (
    AccountError,
    AuthenticationError,
    ContactRejectedError,
    SakariError,
    TransientError,
)
from sakari_client.models import Contact, EncodedContact, MergeStrategy
from sakari_client.redaction import mask_phone
from sakari_sync.errors import SakariAccessError
from sakari_sync.outcomes import REJECT_COLUMNS, Change, ContactResult, Outcome, Refusal, RejectKind
from sakari_sync.stages.breaker import Breaker

BLOCKED_CODE = "CONT-010"


@dataclass
class LoadCounts:
    """Contacts by outcome; Sakari's refusals by reason (`sakari:<code>`), and the first message Sakari
    gave for each reason (refusals and failures), for the logs."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    messages: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Iterable[ContactResult]) -> LoadCounts:
        """Count one batch's results."""
        counts = cls()
        for r in results:
            counts.outcomes[r.outcome] += 1
            if r.outcome is Outcome.REJECTED:
                counts.refusals[r.refusal.reason if r.refusal else "sakari:no-code"] += 1
            if r.refusal is not None:
                counts.messages.setdefault(_reason(r), r.refusal.message)
        return counts

    def add(self, other: LoadCounts) -> None:
        """Add another batch's counts."""
        self.outcomes.update(other.outcomes)
        self.refusals.update(other.refusals)
        for reason, message in other.messages.items():
            self.messages.setdefault(reason, message)

    @property
    def answered(self) -> int:
        """Contacts with a result."""
        return sum(self.outcomes.values())


def _reason(result: ContactResult) -> str:
    """`sakari:<code>` for a refusal, `failed:<code>` for a contact Sakari could not take."""
    assert result.refusal is not None
    if result.outcome is Outcome.FAILED:
        return f"failed:{result.refusal.code or result.refusal.status or 'no-answer'}"
    return result.refusal.reason


def undelivered(results: Iterable[ContactResult]) -> dict[RejectKind, pd.DataFrame]:
    """The batch's refused and failed contacts as reject rows (masked), by kind, for `sakari_rejects`."""
    rows: dict[RejectKind, list[tuple[str, str, str, str]]] = {RejectKind.SAKARI: [], RejectKind.FAILED: []}
    for r in results:
        if r.outcome in (Outcome.REJECTED, Outcome.FAILED):
            kind = RejectKind.SAKARI if r.outcome is Outcome.REJECTED else RejectKind.FAILED
            message = r.refusal.message if r.refusal else "no reason given"
            rows[kind].append((r.change.source_key, _reason(r), message, mask_phone(r.change.mobile)))
    return {kind: pd.DataFrame(found, columns=list(REJECT_COLUMNS)) for kind, found in rows.items() if found}


@dataclass
class Loaded:
    """What a load did: contacts by outcome, requests sent, and why it stopped early, if it did."""

    counts: LoadCounts
    requests: int
    throttled: int
    learned_rate: float | None
    stopped: Exception | None


async def send_change(client: SakariClient, change: Change, merge_strategy: MergeStrategy) -> ContactResult:
    """Create (upsert by mobile) one contact and say what happened to it."""
    if change.blocked:
        # A known opt-out: send nothing at all, so no merge strategy can touch it.
        return ContactResult(change, Outcome.SUPPRESSED, contact_id=change.known_contact_id)
    body = EncodedContact(change.payload.encode())  # sent as it was hashed: no parse, no re-encoding
    try:
        contact = await client.create_contact(body, merge_strategy=merge_strategy)
    except ContactRejectedError as exc:
        return refused(change, Outcome.REJECTED, exc)
    except TransientError as exc:
        return refused(change, Outcome.FAILED, exc)
    return result_of(change, contact)


def refused(change: Change, outcome: Outcome, exc: SakariError) -> ContactResult:
    """A contact Sakari refused (`REJECTED`) or could not be reached for (`FAILED`), with the reason."""
    return ContactResult(change, outcome, refusal=Refusal(exc.code, exc.message, exc.status))


def result_of(change: Change, contact: Contact | None) -> ContactResult:
    """What Sakari's answer for an accepted contact means: suppressed if it is blocked, else updated
    when the ledger already knew a Sakari contact for the mobile, created otherwise."""
    if contact is not None and (contact.blocked or (contact.error and contact.error.code == BLOCKED_CODE)):
        blocked_at = str(contact.blocked) if contact.blocked else None
        return ContactResult(change, Outcome.SUPPRESSED, contact_id=contact.id, blocked_at=blocked_at)
    outcome = Outcome.UPDATED if change.known_contact_id else Outcome.CREATED
    return ContactResult(change, outcome, contact_id=contact.id if contact else change.known_contact_id)


async def send_batch(
    client: SakariClient,
    changes: Sequence[Change],
    merge_strategy: MergeStrategy,
    breaker: Breaker | None = None,
) -> list[ContactResult]:
    """Send a batch concurrently (the client bounds requests in flight and paces them); return the
    results of the contacts answered.

    When the breaker stops (a fatal error, or one of its rules, here or in another batch), the
    contacts not yet answered are abandoned: no result, so they stay pending. Without a `breaker`
    of the caller's, the stopping error is raised here; with one, the caller raises `breaker.error`
    once it has recorded the results.
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
    return [r for r in everything.result() if isinstance(r, ContactResult)]


async def _send_watched(
    client: SakariClient, change: Change, merge_strategy: MergeStrategy, breaker: Breaker
) -> ContactResult | None:
    if breaker.error is not None:
        return None  # the load is stopping: this contact stays pending
    try:
        result = await send_change(client, change, merge_strategy)
    except Exception as exc:  # fatal (401, 403, a malformed answer): the same for every contact
        breaker.stop(access_error(exc))
        return None
    breaker.note(result)
    return result


def access_error(exc: Exception) -> Exception:
    """A fatal client error as what the user does next: fix the block, for a 401 or 403."""
    if isinstance(exc, AuthenticationError):
        error = SakariAccessError(
            "Sakari refused the credentials (401): check the Sakari block's client id and client secret"
        )
    elif isinstance(exc, AccountError):
        error = SakariAccessError(
            f"Sakari refused the account id ({exc.status} {exc.code or ''}): check the Sakari block's "
            "account id"
        )
    else:
        return exc
    error.__cause__ = exc  # the debug log keeps the client's own error
    return error


SendBatch = Callable[[int, list[Change]], Awaitable[LoadCounts]]
BatchDone = Callable[[LoadCounts], Awaitable[None]]


async def run_batches(
    batches: Iterable[list[Change]], send: SendBatch, breaker: Breaker, *, in_flight: int, done: BatchDone
) -> None:
    """Send `batches` with `send(index, batch)` (which records its results and returns their counts),
    `in_flight` at a time, calling `done` with each batch's counts as it finishes. Once the breaker
    trips, no further batch starts, the ones in flight stop within moments and record what they got,
    and the breaker's error is raised."""
    flying: set[asyncio.Task[LoadCounts]] = set()

    async def collect(when: str) -> None:
        finished, _ = await asyncio.wait(flying, return_when=when)
        for task in finished:
            flying.discard(task)
            await done(task.result())

    try:
        for index, batch in enumerate(batches):
            if len(flying) >= in_flight:
                await collect(asyncio.FIRST_COMPLETED)
            if breaker.error is not None:
                break
            flying.add(asyncio.ensure_future(send(index, batch)))
        while flying:
            await collect(asyncio.ALL_COMPLETED)
    except BaseException as exc:
        breaker.stop(exc if isinstance(exc, Exception) else RuntimeError("the load was cancelled"))
        await asyncio.gather(*flying, return_exceptions=True)
        raise
    if breaker.error is not None:
        raise breaker.error

"""Bulk backfill: Sakari's CSV import (`POST /contacts` with `text/csv`) for a first load of many contacts.

One request carries a whole batch, and the answer says what became of each row: `errors` name rows by
number (from 1), and `contacts` holds the resulting contact of each accepted row, in order. So every
contact still gets its own result and ledger row, exactly as on the per-contact path.

Sakari's OpenAPI description allows answers that cannot be matched row by row (errors without a row
number, or shaped like contacts). Then nothing is guessed: each contact of the batch is read back by
its mobile, and only a contact Sakari holds is recorded as created or updated; the others are
rejected (when an error names their mobile) or failed, and sent again next run.

Contacts a CSV cannot carry (lists, attributes named like its columns: `sakari_client.csv_compatible`)
take the per-contact path in the same batch; known opt-outs are never sent at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic_core import from_json

from sakari_client import SakariClient
from sakari_client.bulk import csv_compatible
from sakari_client.errors import ContactRejectedError, TransientError
from sakari_client.models import BulkUploadResult, MergeStrategy
from sakari_client.redaction import redact
from sakari_sync.outcomes import Change, ContactResult, Outcome, Refusal
from sakari_sync.stages.breaker import Breaker
from sakari_sync.stages.load import refused, result_of, send_batch

UNMATCHED = "the upload's answer named no row for this contact and reading it back did not find it"


async def send_bulk(
    client: SakariClient, changes: Sequence[Change], merge_strategy: MergeStrategy, breaker: Breaker
) -> list[ContactResult]:
    """Send a batch as one CSV upload; contacts that do not fit a CSV, and known opt-outs, go the
    per-contact way."""
    # pydantic's JSON reader: the same values as `json.loads` for these canonical bodies, at half its CPU
    bodies = {c.mobile: from_json(c.payload) for c in changes if not c.blocked}
    by_csv = [c for c in changes if c.mobile in bodies and csv_compatible(bodies[c.mobile])]
    csv_mobiles = {c.mobile for c in by_csv}
    rest = [c for c in changes if c.mobile not in csv_mobiles]
    results = await send_batch(client, rest, merge_strategy, breaker) if rest else []
    if not by_csv or breaker.error is not None:
        return results
    try:
        answer = await client.upload_csv([bodies[c.mobile] for c in by_csv], merge_strategy)
    except ContactRejectedError as exc:
        uploaded = [refused(c, Outcome.REJECTED, exc) for c in by_csv]
    except TransientError as exc:
        uploaded = [refused(c, Outcome.FAILED, exc) for c in by_csv]
    else:
        if answer.rows_matchable(len(by_csv)):
            uploaded = results_of_upload(by_csv, answer)
        else:
            uploaded = await confirm_by_reading_back(client, by_csv, answer)
    for result in uploaded:
        breaker.note(result)
    return results + uploaded


def results_of_upload(changes: Sequence[Change], answer: BulkUploadResult) -> list[ContactResult]:
    """Match an answer that `rows_matchable` accepted to its rows: rows named in `errors` are rejected,
    the others take the next contact of `contacts`, in order (pure)."""
    errors = {e.row: e for e in answer.errors if e.row is not None}
    accepted = iter(answer.contacts if isinstance(answer.contacts, list) else [])
    results = []
    for row, change in enumerate(changes, start=1):
        error = errors.get(row)
        if error is not None:
            refusal = Refusal(error.code, redact(error.description or error.message or ""), 400)
            results.append(ContactResult(change, Outcome.REJECTED, refusal=refusal))
        else:
            results.append(result_of(change, next(accepted, None)))
    return results


async def confirm_by_reading_back(
    client: SakariClient, changes: Sequence[Change], answer: BulkUploadResult
) -> list[ContactResult]:
    """For an answer that cannot be matched row by row: read each contact back by mobile. Found: created
    or updated (or suppressed); else rejected with an error that names its mobile, else failed."""
    by_mobile = {_digits(e.mobile): e for e in answer.errors if e.mobile}
    found = await asyncio.gather(*(client.find_by_mobile(c.mobile) for c in changes))
    results = []
    for change, contact in zip(changes, found, strict=True):
        error = by_mobile.get(_digits(change.mobile))
        if contact is not None:
            results.append(result_of(change, contact))
        elif error is not None:
            refusal = Refusal(error.code, redact(error.description or error.message or ""), 400)
            results.append(ContactResult(change, Outcome.REJECTED, refusal=refusal))
        else:
            results.append(ContactResult(change, Outcome.FAILED, refusal=Refusal(None, UNMATCHED)))
    return results


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())

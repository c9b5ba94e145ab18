"""Bulk backfill: Sakari's CSV import (`POST /contacts` with `text/csv`) for a first load of many contacts.

One request carries a whole batch, and the answer says what became of each row: `errors` name rows by
number (from 1), and `contacts` holds the resulting contact of each accepted row, in order. So every
contact still gets its own result and ledger row, exactly as on the per-contact path.

The CSV has no column for list membership in Sakari's import, and an attribute named like one of its
columns would land in that column, so such contacts take the per-contact path in the same batch;
known opt-outs are never sent at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sakari_client import SakariClient
from sakari_client.bulk import CORE_COLUMNS
from sakari_client.errors import ContactRejectedError, TransientError
from sakari_client.models import BulkUploadResult, ContactIn, MergeStrategy
from sakari_client.redaction import redact
from sakari_sync.outcomes import Change, ContactResult, Outcome, Refusal
from sakari_sync.stages.breaker import Breaker
from sakari_sync.stages.load import refused, result_of, send_batch

_CSV_COLUMNS = frozenset(c.lower() for c in CORE_COLUMNS)


def fits_csv(body: ContactIn) -> bool:
    """Whether a contact can travel in a CSV upload: no lists, no attribute named like a CSV column."""
    return not body.lists and not any(name.lower() in _CSV_COLUMNS for name in body.attributes or {})


async def send_bulk(
    client: SakariClient, changes: Sequence[Change], merge_strategy: MergeStrategy, breaker: Breaker
) -> list[ContactResult]:
    """Send a batch as one CSV upload; contacts that do not fit a CSV, and known opt-outs, go the
    per-contact way."""
    bodies = {c.mobile: ContactIn.model_validate_json(c.payload) for c in changes if not c.blocked}
    by_csv = [c for c in changes if c.mobile in bodies and fits_csv(bodies[c.mobile])]
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
        uploaded = results_of_upload(by_csv, answer)
    for result in uploaded:
        breaker.note(result)
    return results + uploaded


def results_of_upload(changes: Sequence[Change], answer: BulkUploadResult) -> list[ContactResult]:
    """Match the upload's answer to its rows: rows named in `errors` are rejected, the others take
    the next contact of `contacts`, in order (pure)."""
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

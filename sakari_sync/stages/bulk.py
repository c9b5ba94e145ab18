"""Bulk backfill: Sakari's CSV import (`POST /contacts` with `text/csv`) for a first load of many contacts.

One request carries a whole batch, and the answer says what became of each row: `errors` name rows by
number (from 1), and `contacts` holds the resulting contact of each accepted row, in order. So every
contact still gets its own outcome and ledger row, exactly as on the per-contact path.

The CSV has no column for list membership in Sakari's import, so contacts with lists take the
per-contact path in the same batch; known opt-outs are never sent at all.
"""

from __future__ import annotations

import json

from sakari_client import SakariClient
from sakari_client.errors import ContactRejectedError, TransientError
from sakari_client.models import BulkUploadResult, ContactIn
from sakari_client.redaction import redact
from sakari_sync.config import MergeStrategy
from sakari_sync.stages.load import error_outcome, outcome_of, send_batch
from sakari_sync.state.store import Change, Outcome


async def send_bulk(
    client: SakariClient, changes: list[Change], merge_strategy: MergeStrategy
) -> list[Outcome]:
    """Send a batch as one CSV upload (contacts with lists and known opt-outs go the per-contact way)."""
    by_csv = [c for c in changes if not c.blocked and not json.loads(c.payload).get("lists")]
    csv_keys = {c.mobile for c in by_csv}
    rest = [c for c in changes if c.mobile not in csv_keys]
    outcomes = await send_batch(client, rest, merge_strategy) if rest else []
    if not by_csv:
        return outcomes
    bodies = [ContactIn.model_validate_json(c.payload) for c in by_csv]
    try:
        answer = await client.upload_csv(bodies, merge_strategy)
    except ContactRejectedError as exc:
        return outcomes + [error_outcome(c, "rejected", exc) for c in by_csv]
    except TransientError as exc:
        return outcomes + [error_outcome(c, "failed", exc) for c in by_csv]
    return outcomes + outcomes_of_upload(by_csv, answer)


def outcomes_of_upload(changes: list[Change], answer: BulkUploadResult) -> list[Outcome]:
    """Match the upload's answer to its rows: rows named in `errors` are rejected, the others take
    the next contact of `contacts`, in order (pure)."""
    errors = {e.row: e for e in answer.errors if e.row is not None}
    accepted = iter(answer.contacts if isinstance(answer.contacts, list) else [])
    outcomes = []
    for row, change in enumerate(changes, start=1):
        error = errors.get(row)
        if error is not None:
            reason = error.description or error.message or ""
            outcomes.append(Outcome(change, "rejected", error=redact(f"{error.code}: {reason}")))
        else:
            outcomes.append(outcome_of(change, next(accepted, None)))
    return outcomes

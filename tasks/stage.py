"""Staging: the source read page by page, transformed, and put into the state database, then the
duplicates settled and the load planned. One task run per page and step, so the UI shows each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from sakari_sync.config import SyncParameters
from sakari_sync.outcomes import RejectKind
from sakari_sync.progress import StageProgress
from sakari_sync.stages.fingerprint import Skipper
from sakari_sync.stages.shard import select_shard
from sakari_sync.stages.transform import TransformResult
from sakari_sync.state.ledger import Ledger
from sakari_sync.state.schema import FINGERPRINT
from sakari_sync.state.staging import PlanCounts, Staging
from sakari_sync.tasks.extract import read_again, read_source
from sakari_sync.tasks.report import RunProgress
from sakari_sync.tasks.transform import INLINE_ROWS, transform_pages


@dataclass(frozen=True)
class Staged:
    """What staging read: rows extracted (this shard's), the greatest cursor value seen, and the pending
    keys whose rows are gone from the source."""

    extracted: int
    max_cursor: Any
    gone: set[str]
    skipped: int
    fingerprinted: int  # transformed rows staged with a row fingerprint (the ledger may keep it)
    unchanged: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """The mobile numbers (`state.known.mobile_numbers`) of the contacts found unchanged: not staged."""


@task(name="stage-page", task_run_name="stage-page-{page_no}", cache_policy=NO_CACHE)
def stage_page(staging: Staging, run_id: str, result: TransformResult, page_no: int) -> None:
    """Put one transformed page into the state database's staging area (its rows known unchanged are
    there already): its rows, its rejects, and the optional fields it left out of sent contacts."""
    staging.stage(run_id, result.valid, result.rejects)
    staging.add_rejects(run_id, result.field_issues, RejectKind.FIELD)


async def stage_source(
    source: Engine,
    staging: Staging,
    run_id: str,
    params: SyncParameters,
    cursor: Any,
    pending: set[str],
    skipper: Skipper,
    progress: RunProgress,
) -> Staged:
    """Read the source from `cursor` (None: everything) and the rows of `pending` keys, transform them
    (but the rows `skipper` finds unchanged) and stage this shard's rows."""
    started = time.monotonic()
    extracted = valid = rejected = skipped = fingerprinted = 0
    max_cursor: Any = None
    gone = set(pending)
    pages = read_source(source, params.source, cursor, gone)
    page_no = 0
    for page_no, (page, split, transformed) in enumerate(transform_pages(pages, params, skipper)):
        result, kept = select_shard(transformed, params)
        if not split.mostly_known(INLINE_ROWS):
            stage_page(staging, run_id, result, page_no)
        elif kept or not result.field_issues.empty:  # a few rows: no task run for them (see INLINE_ROWS)
            stage_page.fn(staging, run_id, result, page_no)
        extracted += kept + split.set_aside
        valid += len(result.valid) + split.known + split.again
        rejected += len(result.rejects) + split.rejected
        skipped += split.known
        fingerprinted += int(result.valid[FINGERPRINT].notna().sum())
        if page.max_cursor is not None and (max_cursor is None or page.max_cursor > max_cursor):
            max_cursor = page.max_cursor
        counts = {
            "pages": page_no + 1,
            "valid": valid,
            "unchanged by fingerprint": skipped,
            "rejected": rejected,
        }
        await progress.update(StageProgress("extract", extracted, None, "rows", started, counts))
    shared = skipper.shared_mobiles()
    if shared:  # unchanged rows sharing a mobile with a transformed one: transformed too, for the rule
        again = read_again(source, params.source, shared)
        for _, _, transformed in transform_pages(again, params, skipper.without_skipping()):
            page_no += 1
            result, _ = select_shard(transformed, params)
            stage_page(staging, run_id, result, page_no)
            fingerprinted += int(result.valid[FINGERPRINT].notna().sum())
        skipped -= len(shared)
    counts = {"valid": valid, "unchanged by fingerprint": skipped, "rejected": rejected}
    await progress.update(
        StageProgress("extract", extracted, extracted, "rows", started, counts, finished=True)
    )
    return Staged(extracted, max_cursor, gone, skipped, fingerprinted, skipper.claimed())


@task(name="plan-load", task_run_name="plan-load", cache_policy=NO_CACHE)
def plan_load(
    staging: Staging, ledger: Ledger, run_id: str, staged: Staged, *, full_read: bool, remember: bool
) -> tuple[PlanCounts, dict[str, int], dict[str, int]]:
    """Settle duplicates across pages, then count what is unchanged and what must be sent; the rejected
    rows and the fields left out, by reason. After a full read, mobiles no source row claims any more
    are marked absent; with `remember`, the ledger keeps the row fingerprints of unchanged contacts.
    The contacts found unchanged before the transform (`staged.unchanged`) are winners not staged."""
    staging.resolve_duplicates(run_id)
    staging.drop_older(run_id)  # this run's rows and rejects are all staged: the last run's are not needed
    if full_read:
        ledger.mark_absent(staging.winning_mobiles(run_id), staged.unchanged)
    if remember:
        staging.remember_fingerprints(run_id)
    rejected = staging.reject_counts(run_id, RejectKind.ROW)
    return (
        staging.count_plan(run_id, len(staged.unchanged)),
        rejected,
        staging.reject_counts(run_id, RejectKind.FIELD),
    )


def remember_shared_mobiles(staging: Staging, ledger: Ledger, run_id: str, *, full_read: bool) -> None:
    """After the load (so that contacts it created are there): mark in the ledger the contacts whose
    mobile several source rows shared, for the next run to stage them when found unchanged."""
    ledger.mark_contested(staging.shared_mobiles(run_id), staging.winning_sorts(run_id), every=full_read)

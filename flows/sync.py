"""`sync-contacts` and `reconcile-contacts`: the stages in order. Each stage lives in `tasks/` (the
Prefect tasks) and `sakari_sync/stages/` (the logic); this module only sequences them."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.context import SyncClientContext
from prefect.runtime import flow_run
from prefect.settings import PREFECT_UI_URL
from prefect.states import Completed

from sakari_sync.config import SyncParameters
from sakari_sync.errors import ContactsPendingError
from sakari_sync.progress import StageProgress
from sakari_sync.run import Run, close_run, open_run
from sakari_sync.stages.fingerprint import Skipper
from sakari_sync.stages.heap import frozen_heap
from sakari_sync.stages.plan import planned_outcomes
from sakari_sync.stages.report import SyncReport
from sakari_sync.tasks.events import emit_sync_finished
from sakari_sync.tasks.load import load_changes, open_client
from sakari_sync.tasks.plan import build_plan
from sakari_sync.tasks.reconcile import reconcile
from sakari_sync.tasks.report import SAMPLE_PER_REASON, RunProgress, publish_plan, publish_summary
from sakari_sync.tasks.runs import crash_dead_run
from sakari_sync.tasks.stage import plan_load, remember_shared_mobiles, stage_source


def run_name() -> str:
    """Say what ran: sync name, mode (sync, full, dry-run, reconcile), shard, and when (UTC)."""
    raw = flow_run.parameters.get("params") or {}
    params: dict[str, Any] = raw.model_dump() if isinstance(raw, SyncParameters) else dict(raw)
    if flow_run.flow_name == "reconcile-contacts":
        mode = "reconcile"
    elif flow_run.parameters.get("dry_run"):
        mode = "dry-run"
    else:
        mode = "full" if params.get("full_refresh") else "sync"
    shards = int(params.get("shards") or 1)
    shard = f"-{int(params.get('shard') or 0) + 1}/{shards}" if shards > 1 else ""
    return f"{params.get('name', 'contacts')}-{mode}{shard}-{dt.datetime.now(dt.UTC):%m%d-%H%M%S}"


@flow(name="sync-contacts", flow_run_name=run_name, log_prints=False)
async def sync_contacts(params: SyncParameters, dry_run: bool = False) -> SyncReport:
    """Bring Sakari in step with the source: send new and changed contacts, read back, report every row."""
    # One sync Prefect client for every sync task run of this flow run: without it each task run
    # builds its own, and its TLS context (about 45 ms of loading CA certificates, even for http://).
    # The heap alive at the start (Prefect, pandas, SQLAlchemy...) is kept out of full collections.
    with SyncClientContext.get_or_create(), frozen_heap():
        return await _sync(params, dry_run)


async def _sync(params: SyncParameters, dry_run: bool) -> SyncReport:
    run = await open_run(params, dry_run=dry_run, run_id=_short_id(), flow_run_id=_flow_run_id())
    await crash_dead_run(run.took_over, run.run_id)
    progress = RunProgress()
    succeeded, new_cursor = False, None
    try:
        assert run.source is not None  # open_run connects the source of a run that stages it
        pending = run.ledger.pending_keys() if run.cursor is not None else set()  # a full read has them
        # A dry run plans every row; a full read looks every row up, so it reads what is known at once.
        skipper = Skipper(params, None if dry_run else run.staging, run.run_id, full_read=run.cursor is None)
        staged = await stage_source(
            run.source, run.staging, run.run_id, params, run.cursor, pending, skipper, progress
        )
        run.report.extracted, new_cursor = staged.extracted, staged.max_cursor
        run.report.skipped = staged.skipped
        if not dry_run:
            run.ledger.forget_pending(staged.gone)
        full_read = run.cursor is None and not dry_run
        plan, rejects, fields = plan_load(
            run.staging,
            run.ledger,
            run.run_id,
            staged,
            full_read=full_read,
            remember=bool(staged.fingerprinted) and not dry_run,
        )
        run.report.add_rejects(rejects)
        run.report.field_issues_by_reason = fields
        run.report.unchanged = plan.unchanged
        if dry_run:
            rows = build_plan(run.staging, run.run_id, params.sakari.batch_size)
            run.report.plan = [row.model_dump() for row in rows]
            run.report.add_outcomes(planned_outcomes(rows), {})
        else:
            await _load_and_reconcile(run, plan.pending, progress)
            remember_shared_mobiles(run.staging, run.ledger, run.run_id, full_read=full_read)
        succeeded = True
    finally:
        report = close_run(run, succeeded=succeeded, new_cursor=new_cursor)
        report.stage_seconds = dict(progress.seconds)
    report.flow_run_url = f"{PREFECT_UI_URL.value()}/runs/flow-run/{flow_run.id}" if flow_run.id else None
    await publish_summary(report, run.staging.sample_rejects(run.run_id, SAMPLE_PER_REASON))
    await publish_plan(report)
    emit_sync_finished(report, params.rejected_share_alert)
    # The returned State sets the run's final state and message; Prefect hands callers its data.
    return cast(SyncReport, final_state(report, params.max_pending_share))


async def _load_and_reconcile(run: Run, pending: int, progress: RunProgress) -> None:
    if not pending and not run.params.reconcile.enabled:  # nothing to send or read: no block, no client
        await progress.update(StageProgress("load", 0, 0, "contacts", time.monotonic(), finished=True))
        return
    client, endpoint = await open_client(run.params.sakari, run.state)
    async with client:
        loaded = await load_changes(
            client, endpoint, run.state, run.staging, run.ledger, run.run_id, run.params.sakari, pending,
            progress, run.renew,
        )  # fmt: skip
        run.report.add_load(loaded)
        if loaded.stopped is not None:
            raise loaded.stopped
        if run.params.reconcile.enabled:
            run.report.reconcile = await reconcile(client, run.ledger, run.run_id, run.params)
            run.report.requests = client.stats.requests


@flow(name="reconcile-contacts", flow_run_name=run_name, log_prints=False)
async def reconcile_contacts(params: SyncParameters) -> dict[str, Any]:
    """Read Sakari back and compare it with everything this sync has written; repair if configured."""
    run = await open_run(params, run_id=_short_id(), flow_run_id=_flow_run_id(), stage=False)
    try:
        client, _ = await open_client(params.sakari, run.state)
        async with client:
            found = await reconcile(client, run.ledger, run.run_id, params, whole_account=True)
    finally:
        close_run(run, succeeded=False)  # a reconcile alone never moves the cursor
    return found


def final_state(report: SyncReport, max_pending_share: float) -> State[SyncReport]:
    """The run's end, truthfully: Completed when every contact was delivered; Completed named
    'Partial' when Sakari refused or could not take some (at most `max_pending_share` of those sent);
    Failed above that. The message is the run in one line; pending contacts are sent again next run."""
    summary = report.summary()
    get_run_logger().info(summary)
    if not report.pending:
        return Completed(message=summary, data=report)
    sent = report.created + report.updated + report.suppressed + report.pending
    if report.pending > max_pending_share * sent:
        raise ContactsPendingError(
            f"{summary}; that is more than max_pending_share ({max_pending_share:.0%}) of the {sent:,} "
            "contacts sent: read the reasons in the rejects artifact",
            report,
        )
    return Completed(name="Partial", message=summary, data=report)


def _short_id() -> str | None:
    return str(flow_run.id)[:12] if flow_run.id else None


def _flow_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None

"""`sync-contacts` and `reconcile-contacts`: the stages in order, one Prefect task per page or batch."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, cast

from prefect import flow
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.settings import PREFECT_UI_URL

from sakari_client import SakariClient
from sakari_client.shared_limit import SharedRateLimit
from sakari_sync.blocks.sakari import SakariCredentials
from sakari_sync.config import SyncParameters
from sakari_sync.run import RunContext, check_mapping, close_run, note_cursor, open_run
from sakari_sync.stages.extract import extract_page
from sakari_sync.stages.load import Breaker, load_batch, plan_load, stage_page
from sakari_sync.stages.plan import build_plan
from sakari_sync.stages.reconcile import reconcile_account
from sakari_sync.stages.report import Progress, SyncReport, publish_plan, publish_summary
from sakari_sync.stages.shard import select_shard
from sakari_sync.stages.transform import TransformResult, transform_page
from sakari_sync.tasks.events import emit_sync_finished

BATCHES_IN_FLIGHT = 2  # the next batch's requests start while the last one's stragglers finish
PAGES_ON_DASK = 4  # pages transforming on the cluster at once: parallelism, with memory still bounded


def _run_name() -> str:
    """Say what ran: `<sync name>-sync`, `-full`, `-dry-run` or `-reconcile`."""
    raw = flow_run.parameters.get("params") or {}
    params: dict[str, Any] = raw.model_dump() if isinstance(raw, SyncParameters) else dict(raw)
    if flow_run.flow_name == "reconcile-contacts":
        mode = "reconcile"
    elif flow_run.parameters.get("dry_run"):
        mode = "dry-run"
    else:
        mode = "full" if params.get("full_refresh") else "sync"
    return f"{params.get('name', 'contacts')}-{mode}"


@flow(name="sync-contacts", flow_run_name=_run_name, log_prints=False)
async def sync_contacts(params: SyncParameters, dry_run: bool = False) -> SyncReport:
    """Bring Sakari in step with the source: send new and changed contacts, read back, report every row."""
    run = open_run(params, dry_run=dry_run, run_id=_short_id())
    succeeded = False
    try:
        stage_source(run)
        if dry_run:
            run.report.plan = [row.model_dump() for row in build_plan(run)]
        else:
            async with await _client(run) as client:
                await load_changes(run, client)
                if params.reconcile.enabled:
                    await _reconcile(run, client)
        succeeded = True
    finally:
        report = close_run(run, succeeded=succeeded)
    report.flow_run_url = f"{PREFECT_UI_URL.value()}/runs/flow-run/{flow_run.id}" if flow_run.id else None
    await publish_summary(report, run.store.rejects_for(run.run_id, limit=50))
    await publish_plan(report)
    emit_sync_finished(report, params.rejected_share_alert)
    return report


@flow(name="reconcile-contacts", flow_run_name=_run_name, log_prints=False)
async def reconcile_contacts(params: SyncParameters) -> dict[str, Any]:
    """Read Sakari back and compare it with everything this sync has written; repair if configured."""
    run = open_run(params, run_id=_short_id(), stage=False)
    try:
        async with await _client(run) as client:
            await _reconcile(run, client)
    finally:
        close_run(run, succeeded=False)  # a reconcile alone never moves the cursor
    return run.report.reconcile or {}


def _short_id() -> str | None:
    return str(flow_run.id)[:12] if flow_run.id else None


def stage_source(run: RunContext) -> None:
    """Read the source page by page, transform each page, and stage it for loading. With the Dask task
    runner, pages are submitted to the cluster and the next pages are read while they transform."""
    on_dask = run.params.task_runner == "dask"
    waiting: deque[tuple[int, PrefectFuture[TransformResult]]] = deque()
    after, page_no = None, 0
    while True:
        page = extract_page(run.source, run.params.source, after, run.watermark, page_no)
        if page.rows.empty:
            break
        if page_no == 0:
            check_mapping(run, page.rows.columns)
        note_cursor(run, page.max_cursor)
        if on_dask:
            waiting.append((page_no, transform_page.submit(page.rows, run.params, page_no)))
            if len(waiting) > PAGES_ON_DASK:
                _stage(run, *waiting.popleft())
        else:
            _stage(run, page_no, transform_page(page.rows, run.params, page_no))
        if len(page.rows) < run.params.source.chunk_size:
            break  # a short page is the last one: no need to ask for an empty one
        after, page_no = page.last_key, page_no + 1
    while waiting:
        _stage(run, *waiting.popleft())
    plan_load(run)


def _stage(
    run: RunContext, page_no: int, transformed: TransformResult | PrefectFuture[TransformResult]
) -> None:
    """Stage one transformed page (in page order), keeping only this shard's rows."""
    result = transformed.result() if isinstance(transformed, PrefectFuture) else transformed
    result, kept = select_shard(result, run.params)
    run.report.extracted += kept
    stage_page(run.store, run.run_id, result.valid, result.rejects, page_no)


async def _client(run: RunContext) -> SakariClient:
    creds = cast(SakariCredentials, await SakariCredentials.aload(run.params.sakari.block))
    run.endpoint = f"{creds.base_url}/accounts/{creds.account_id}"
    cfg = run.params.sakari
    shared = None
    if cfg.shared_limit_url and cfg.rate_limit:
        shared = SharedRateLimit.from_url(cfg.shared_limit_url, f"sakari-sync:{run.endpoint}", cfg.rate_limit)
    return creds.get_client(
        rate_limit=cfg.rate_limit,
        initial_rate=run.store.get_rate(run.endpoint),
        max_in_flight=cfg.max_in_flight,
        retry_attempts=cfg.retry_attempts,
        retry_timeout=cfg.retry_timeout,
        shared_limit=shared,
    )


async def load_changes(run: RunContext, client: SakariClient) -> None:
    """Send what changed, a batch per task, two batches in flight; stop early if the breaker trips."""
    cfg = run.params.sakari
    progress = Progress(run.pending)
    await progress.start("Contacts sent to Sakari")
    in_flight: set[asyncio.Task[dict[str, int]]] = set()
    breaker = Breaker.for_load(run.pending)
    try:
        for index, batch in enumerate(run.store.iter_changes(run.run_id, cfg.batch_size)):
            if len(in_flight) >= BATCHES_IN_FLIGHT:
                await _collect(run, progress, in_flight, asyncio.FIRST_COMPLETED)
            sending = load_batch(
                client,
                run.store,
                batch,
                cfg.merge_strategy,
                run.run_id,
                index,
                bulk=cfg.load_mode == "bulk",
                breaker=breaker,
            )
            in_flight.add(asyncio.ensure_future(sending))
        await _collect(run, progress, in_flight, asyncio.ALL_COMPLETED)
    except Exception as exc:
        # The other batch in flight stops within moments once the breaker has; let it record its outcomes.
        breaker.stop(exc)
        await asyncio.gather(*in_flight, return_exceptions=True)
        raise
    finally:
        for pending in in_flight:
            pending.cancel()
        run.report.requests = client.stats.requests
        run.report.throttled = client.stats.rate_limited
        run.report.learned_rate = client.current_rate
        if client.current_rate:
            run.store.set_rate(run.endpoint, client.current_rate)


async def _collect(
    run: RunContext, progress: Progress, in_flight: set[asyncio.Task[dict[str, int]]], when: str
) -> None:
    if not in_flight:
        return
    done, _ = await asyncio.wait(in_flight, return_when=when)
    for task in done:
        in_flight.discard(task)
        counts = task.result()
        run.report.add_outcomes(counts)
        await progress.advance(sum(counts.values()))
    run.renew()


async def _reconcile(run: RunContext, client: SakariClient) -> None:
    cfg = run.params
    found = await reconcile_account(
        client, run.store, run.run_id, repair=cfg.reconcile.repair, merge_strategy=cfg.sakari.merge_strategy
    )
    run.report.reconcile = {
        "mode": found.mode,
        "checked": found.checked,
        "repaired": found.repaired,
    } | found.counts
    run.report.requests = client.stats.requests

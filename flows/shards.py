"""`sync-contacts-sharded`: one sync split into n disjoint shards run as concurrent flow runs.

With `deployment` set (e.g. "sync-contacts/shard"), each shard is a run of that deployment, so the
work pool's workers (on one machine or several) pick the shards up; without it, the shards run here
as concurrent subflows. Either way each shard has its own lock, ledger and cursor
(see sakari_sync/stages/shard.py) and the parent returns and publishes one combined report.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from prefect import flow
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment

from sakari_sync.config import SyncParameters
from sakari_sync.errors import ContactsPendingError, SyncError
from sakari_sync.flows.sync import final_state, sync_contacts
from sakari_sync.stages.report import SyncReport
from sakari_sync.stages.shard import combine_reports, shard_parameters
from sakari_sync.tasks.report import publish_summary


@flow(name="sync-contacts-sharded", flow_run_name="{params.name}-{shards}-shards", log_prints=False)
async def sync_shards(
    params: SyncParameters, shards: int = 2, deployment: str | None = None, dry_run: bool = False
) -> SyncReport:
    """Run the sync as `shards` concurrent flow runs and combine their reports into one; it ends as one
    run would (Partial or Failed when contacts are pending)."""
    runs = [_run_shard(p, deployment, dry_run) for p in shard_parameters(params, shards)]
    reports = await asyncio.gather(*runs)
    combined = combine_reports(params.name, list(reports))
    await publish_summary(combined, [])
    return cast(SyncReport, final_state(combined, params.max_pending_share))


async def _run_shard(params: SyncParameters, deployment: str | None, dry_run: bool) -> SyncReport:
    if deployment is None:
        try:
            return await sync_contacts(params, dry_run=dry_run)
        except ContactsPendingError as exc:  # the shard went to the end; the whole sync decides
            return cast(SyncReport, exc.report)
    run: FlowRun = await run_deployment(  # type: ignore[misc]  # async_dispatch: awaitable in a coroutine
        deployment,
        parameters={"params": params.model_dump(mode="json"), "dry_run": dry_run},
        timeout=None,
    )
    return await _report_of(run)


async def _report_of(run: FlowRun) -> SyncReport:
    state: State[Any] | None = run.state
    result = await state.aresult(raise_on_failure=False) if state is not None else None
    if isinstance(result, ContactsPendingError):
        result = result.report  # the shard went to the end with contacts pending; the whole sync decides
    if isinstance(result, SyncReport | dict):
        return result if isinstance(result, SyncReport) else SyncReport.model_validate(result)
    ended = state.name if state else "without a state"
    raise SyncError(f"shard run {run.name} ended {ended}; its page in the Prefect UI says why")

"""Reconcile as a Prefect task: read Sakari back, repair, and publish what was found."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from sakari_client import SakariClient
from sakari_sync.config import SyncParameters
from sakari_sync.stages.reconcile import ReconcileReport, reconcile_account
from sakari_sync.state.ledger import Ledger


@task(name="reconcile", task_run_name="reconcile", cache_policy=NO_CACHE)
async def reconcile(
    client: SakariClient, ledger: Ledger, run_id: str, params: SyncParameters
) -> dict[str, Any]:
    """Compare Sakari with the ledger, record opt-outs, repair (if configured); the report's findings."""
    found = await reconcile_account(
        client, ledger, run_id, repair=params.reconcile.repair, merge_strategy=params.sakari.merge_strategy
    )
    await publish_reconcile(found)
    counts = {str(kind): n for kind, n in found.counts.items()}
    return {"mode": str(found.mode), "checked": found.checked, "repaired": found.repaired} | counts


async def publish_reconcile(report: ReconcileReport) -> None:
    """The reconcile summary table, and a masked sample of each finding."""
    table = [{"finding": str(k), "contacts": n} for k, n in report.counts.items()]
    table += [
        {"finding": "repaired", "contacts": report.repaired},
        {"finding": "checked", "contacts": report.checked},
    ]
    await acreate_table_artifact(
        table=table,
        key="sakari-reconcile-summary",
        description=f"What Sakari holds versus what we sent (read-back by {report.mode}).",
    )
    sample = [row for rows in report.samples.values() for row in rows]
    if sample:
        await acreate_table_artifact(
            table=sample, key="sakari-reconcile-sample", description="A masked sample of each finding."
        )

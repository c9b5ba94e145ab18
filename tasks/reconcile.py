"""Reconcile as a Prefect task: read Sakari back, repair, and publish what was found."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from sakari_client import SakariClient
from sakari_sync.config import SyncParameters
from sakari_sync.stages.reconcile import ReconcileReport, Scope, reconcile_account
from sakari_sync.state.ledger import Ledger

READ = {
    Scope.NONE: "Nothing was read back: the run touched no contact, so no request was sent",
    Scope.TOUCHED: "The contacts this run touched were read back, one GET each (extras, and contacts "
    "changed in Sakari that the run did not touch, are found by a full read)",
    Scope.ACCOUNT: "Sakari's whole account was read back, page by page",
}


@task(name="reconcile", task_run_name="reconcile", cache_policy=NO_CACHE)
async def reconcile(
    client: SakariClient, ledger: Ledger, run_id: str, params: SyncParameters, *, whole_account: bool = False
) -> dict[str, Any]:
    """Compare Sakari with the ledger, record opt-outs, repair (if configured); the report's entry.
    Reads what run `run_id` touched, or the whole account when due or `whole_account`."""
    found = await reconcile_account(
        client,
        ledger,
        run_id,
        repair=params.reconcile.repair,
        merge_strategy=params.sakari.merge_strategy,
        full_every_hours=params.reconcile.full_read_every_hours,
        whole_account=whole_account,
    )
    await publish_reconcile(found)
    return found.summary()


def describe_read(report: ReconcileReport) -> str:
    """One sentence: what was read back, how, at what cost, and when the whole account is read next."""
    due = report.next_full_read
    when = f"{due:%Y-%m-%d %H:%M} UTC" if due else "not on a cadence (run `reconcile-contacts`)"
    return f"{READ[report.scope]}: {report.requests:,} requests. Next full read: {when}."


async def publish_reconcile(report: ReconcileReport) -> None:
    """The reconcile summary table, and a masked sample of each finding."""
    table = [{"finding": str(k), "contacts": n} for k, n in report.counts.items()]
    table += [
        {"finding": "repaired", "contacts": report.repaired},
        {"finding": "checked", "contacts": report.checked},
    ]
    await acreate_table_artifact(
        table=table, key="sakari-reconcile-summary", description=describe_read(report)
    )
    sample = [row for rows in report.samples.values() for row in rows]
    if sample:
        await acreate_table_artifact(
            table=sample, key="sakari-reconcile-sample", description="A masked sample of each finding."
        )

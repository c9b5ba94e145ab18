"""The dry run as a Prefect task: every pending contact's action and every reject, nothing sent."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from sakari_sync.stages.plan import PlanRow, plan_change, plan_rejects
from sakari_sync.state.staging import Staging


@task(name="plan", task_run_name="plan", cache_policy=NO_CACHE)
def build_plan(staging: Staging, run_id: str, batch_size: int) -> list[PlanRow]:
    """What a real run would do to each pending contact, then the rejects with their reasons."""
    rows = [plan_change(change) for batch in staging.iter_changes(run_id, batch_size) for change in batch]
    return rows + plan_rejects(staging.rejects_for(run_id))

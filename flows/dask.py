"""`sync-contacts` on a Dask cluster (prefect-dask): the transform pages run there, the rest stays put.

The flow is the same flow with another task runner, so its runs, artifacts and deployments look alike.
Only the transform pages go to Dask: they are the CPU-bound stage (phone parsing, hashing), and pandas
frames travel to workers well. Extract and staging use the flow's database connections, and loading is
I/O-bound async HTTP already paced by one rate limit, so they stay on the flow's event loop.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, cast

from prefect import Flow
from prefect.task_runners import TaskRunner

from sakari_sync.flows.sync import sync_contacts
from sakari_sync.stages.report import SyncReport


def sync_contacts_on_dask(address: str | None = None) -> Flow[..., Coroutine[Any, Any, SyncReport]]:
    """`sync-contacts` with a `DaskTaskRunner`: on the cluster at `address` (tcp://host:8786), or on a
    temporary local cluster when it is None. Run it with `params.task_runner = "dask"`."""
    from prefect_dask.task_runners import DaskTaskRunner

    # TaskRunner is invariant in its future type, so a TaskRunner[PrefectDaskFuture] needs the cast.
    runner = cast(TaskRunner[Any], DaskTaskRunner(address=address))
    return sync_contacts.with_options(task_runner=runner)

"""`task_runner: dask`: the transform pages run on a Dask cluster and the sync's outcome does not change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from distributed import Client, LocalCluster, get_task_stream

from sakari_sync.config import SyncParameters
from sakari_sync.flows.dask import sync_contacts_on_dask
from sakari_sync.stages.report import SyncReport
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two in-process Dask workers (threads: they share the test's Prefect settings)."""
    # distributed ships no annotations for LocalCluster and Client, hence the no-untyped-call ignores.
    local = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with local as running:
        yield running


def test_transform_pages_run_on_dask_with_the_same_outcome(
    params: SyncParameters, emulator: Emulator, cluster: LocalCluster
) -> None:
    """Each of the 3 pages (7 rows, 3 a page) is a task on the cluster; Sakari gets the 4 valid winners."""
    on_dask = params.model_copy(update={"task_runner": "dask", "dask_address": cluster.scheduler_address})
    flow = sync_contacts_on_dask(on_dask.dask_address)
    client = Client(cluster)  # type: ignore[no-untyped-call]
    with client, get_task_stream(client=client) as stream:
        report: SyncReport = asyncio.run(flow(params=on_dask))
    assert (report.extracted, report.created, report.failed) == (7, 4, 0)
    assert report.rejected_by_reason == {"duplicate_mobile": 1, "missing_phone": 1, "invalid_phone": 1}
    transforms = [t for t in stream.data if str(t["key"]).startswith("transform_page-")]
    assert len(transforms) == 3, [t["key"] for t in stream.data]
    contacts = httpx.get(f"{emulator.url}/_emulator/contacts").json()
    assert len(contacts) == 4

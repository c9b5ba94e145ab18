"""The transform stage as Prefect tasks: one `transform-page-N` task run per page.

With the Dask task runner (`task_runner: dask`), pages are submitted to the cluster and the next
pages are read while earlier ones transform, at most `PAGES_ON_DASK` at once (parallelism, with
memory still bounded); results still come back in page order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from sakari_sync.config import SyncParameters
from sakari_sync.stages.extract import Page
from sakari_sync.stages.fingerprint import Skipper, Split
from sakari_sync.stages.source_errors import describe_source
from sakari_sync.stages.transform import TransformResult, check_mapping, transform_chunk

PAGES_ON_DASK = 4
INLINE_ROWS = 100
"""A page whose rows are known unchanged but for fewer than this is transformed and staged in the flow
run itself: a task run costs about 10 ms of Prefect's bookkeeping, more than such a transform."""


@task(name="transform-page", task_run_name="transform-page-{page_no}", cache_policy=NO_CACHE)
def transform_page(rows: pd.DataFrame, params: SyncParameters, page_no: int) -> TransformResult:
    """Transform one page: E.164 mobiles and create payloads, or rejects with their reasons."""
    return transform_rows(rows, params)


def transform_rows(rows: pd.DataFrame, params: SyncParameters) -> TransformResult:
    source = params.source
    return transform_chunk(
        rows, params.mapping, params.phone, key_column=source.key_column, cursor_column=source.cursor_column
    )


class Transformed(NamedTuple):
    """One page: as read, its rows known unchanged (`split.known`), and the transform of the rest."""

    page: Page
    split: Split
    result: TransformResult


def transform_pages(pages: Iterable[Page], params: SyncParameters, skipper: Skipper) -> Iterator[Transformed]:
    """Each page with its transform, in page order (on Dask, a few pages at once). The rows the ledger
    knows unchanged skip the transform; the mapping is checked against the first page's columns before
    any row is transformed."""
    waiting: deque[tuple[Page, Split, PrefectFuture[TransformResult]]] = deque()
    for page_no, page in enumerate(pages):
        if page_no == 0:
            check_mapping(params.mapping, page.rows.columns, describe_source(params.source))
        split = skipper.split(page.rows)
        if split.mostly_known(INLINE_ROWS) and not waiting:
            yield Transformed(page, split, split.fingerprint(transform_rows(split.rest, params)))
            continue
        if params.task_runner != "dask":
            yield Transformed(page, split, split.fingerprint(transform_page(split.rest, params, page_no)))
            continue
        waiting.append((page, split, transform_page.submit(split.rest, params, page_no)))
        if len(waiting) > PAGES_ON_DASK:
            done, parts, future = waiting.popleft()
            yield Transformed(done, parts, parts.fingerprint(future.result()))
    while waiting:
        done, parts, future = waiting.popleft()
        yield Transformed(done, parts, parts.fingerprint(future.result()))

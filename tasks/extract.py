"""The extract stage as Prefect tasks: one `extract-page-N` task run per page of the source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from sakari_sync.config import SourceConfig
from sakari_sync.stages.extract import Page, page_through, read_page


@task(name="extract-page", task_run_name="extract-page-{page_no}", cache_policy=NO_CACHE)
def extract_page(engine: Engine, source: SourceConfig, after_key: Any, cursor: Any, page_no: int) -> Page:
    """Read one page of the source: the rows after `after_key`, from `cursor` on."""
    return Page.of(read_page(engine, source, after_key=after_key, cursor=cursor), source)


def read_source(engine: Engine, source: SourceConfig, cursor: Any) -> Iterator[Page]:
    """Every page of the source in key order, each read by its own task run."""
    return page_through(
        lambda after, page_no: extract_page(engine, source, after, cursor, page_no), source.chunk_size
    )

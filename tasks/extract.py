"""The extract stage as Prefect tasks: one `extract-page-N` task run per page of the source, then the
rows keyset pages cannot reach (NULL keys) and the rows of pending contacts, read again by key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prefect import Task, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from sakari_sync.config import SourceConfig
from sakari_sync.stages import values
from sakari_sync.stages.extract import (
    NULL_KEY_ROWS,
    Page,
    count_null_keys,
    page_through,
    read_keys,
    read_null_keys,
    read_page,
)

KEYS_PER_READ = 500  # pending keys per `WHERE key IN (...)` read


@task(name="extract-page", task_run_name="extract-page-{page_no}", cache_policy=NO_CACHE)
def extract_page(engine: Engine, source: SourceConfig, after_key: Any, cursor: Any, page_no: int) -> Page:
    """Read one page of the source: the rows after `after_key`, from `cursor` on."""
    return Page.of(read_page(engine, source, after_key=after_key, cursor=cursor), source)


@task(name="extract-null-keys", task_run_name="extract-null-keys", cache_policy=NO_CACHE)
def extract_null_keys(engine: Engine, source: SourceConfig, cursor: Any) -> Page:
    """Read the rows whose key is NULL (they are rejected as missing_key, one by one)."""
    rows = read_null_keys(engine, source, cursor=cursor)
    if len(rows) >= NULL_KEY_ROWS:
        total = count_null_keys(engine, source, cursor=cursor)
        get_run_logger().warning(
            f"{total:,} rows have no {source.key_column}; the first {len(rows):,} are rejected as "
            f"missing_key and the rest are not counted: filter them out in source.query or fill the key"
        )
    return Page.of(rows, source)


@task(name="extract-pending", task_run_name="extract-pending-{read_no}", cache_policy=NO_CACHE)
def extract_pending(engine: Engine, source: SourceConfig, keys: list[str], read_no: int) -> Page:
    """Read again, by key, the rows of contacts a past run could not deliver."""
    return Page.of(read_keys(engine, source, keys), source)


def read_source(engine: Engine, source: SourceConfig, cursor: Any, pending: set[str]) -> Iterator[Page]:
    """Every page of the source from `cursor` in key order, then the rows with a NULL key, then the
    rows of `pending` keys the pages did not bring. `pending` is left holding the keys that are gone
    from the source."""

    def read(after: Any, page_no: int) -> Page:
        return extract_page(engine, source, after, cursor, page_no)

    for page in page_through(read, source.chunk_size):
        if pending:
            pending.difference_update(key_texts(page, source))
        yield page
    nulls = extract_null_keys(engine, source, cursor)
    if not nulls.rows.empty:
        yield nulls
    for page in _by_key(extract_pending, engine, source, sorted(pending)):
        pending.difference_update(key_texts(page, source))
        if not page.rows.empty:
            yield page


# The same read by key, named for its purpose in the UI: rows found unchanged whose mobile a changed
# row shares, read again for the de-duplication rule.
extract_again = extract_pending.with_options(name="extract-again", task_run_name="extract-again-{read_no}")


def read_again(engine: Engine, source: SourceConfig, keys: list[str]) -> Iterator[Page]:
    """The rows of `keys`, a page per `KEYS_PER_READ` keys."""
    return (page for page in _by_key(extract_again, engine, source, keys) if not page.rows.empty)


def _by_key(read: Task[..., Page], engine: Engine, source: SourceConfig, keys: list[str]) -> Iterator[Page]:
    """`read` (a task reading rows by key) of `keys`, `KEYS_PER_READ` at a time."""
    for read_no, start in enumerate(range(0, len(keys), KEYS_PER_READ)):
        yield read(engine, source, keys[start : start + KEYS_PER_READ], read_no)


def key_texts(page: Page, source: SourceConfig) -> set[str]:
    """The page's keys as the ledger stores them."""
    return {k for k in values.key_texts(page.rows[source.key_column]) if k is not None}

"""A run's bookkeeping: its id, the lock, the stored cursor, and what is cleaned up at the end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from sakari_sync.config import SyncParameters
from sakari_sync.stages.extract import SourceError, connect_source
from sakari_sync.stages.report import SyncReport
from sakari_sync.stages.source_errors import describe_source
from sakari_sync.state.lock import acquire_lock, release_lock, renew_lock
from sakari_sync.state.schema import connect_state
from sakari_sync.state.store import StateStore


@dataclass
class RunContext:
    """What the stages of one run share."""

    params: SyncParameters
    run_id: str
    store: StateStore
    source: Engine
    watermark: Any
    report: SyncReport
    dry_run: bool
    max_cursor: Any = None
    pending: int = 0
    endpoint: str = ""
    started: float = field(default_factory=time.monotonic)

    def renew(self) -> None:
        renew_lock(self.store.engine, self.params.scope, self.run_id)


def open_run(
    params: SyncParameters, *, dry_run: bool = False, run_id: str | None = None, stage: bool = True
) -> RunContext:
    """Connect both databases, take the sync's lock, and read the incremental cursor."""
    run_id = run_id or uuid.uuid4().hex[:12]
    state = connect_state(params.state_url)
    acquire_lock(state, params.scope, run_id)
    try:
        store = StateStore(state, params.scope)
        if stage:
            store.clear_staging(rejects_too=True)
        watermark = None if params.full_refresh or not params.source.cursor_column else store.get_watermark()
        mode = "dry-run" if dry_run else ("incremental" if watermark is not None else "full")
        source = connect_source(params.source)
    except BaseException:
        release_lock(state, params.scope, run_id)
        raise
    report = SyncReport(sync_name=params.scope, run_id=run_id, mode=mode, load_mode=params.sakari.load_mode)
    return RunContext(params, run_id, store, source, watermark, report, dry_run)


def check_mapping(run: RunContext, columns: Iterable[str]) -> None:
    """Before any row is transformed: fail with one line if the mapping names a column the source lacks."""
    have = [str(c) for c in columns]
    for setting, column in run.params.mapping.columns().items():
        if column not in have:
            raise SourceError(
                f"{setting} names column {column!r}, which {describe_source(run.params.source)} does not "
                f"have; set it to one of: {', '.join(have)}"
            )


def note_cursor(run: RunContext, page_max: Any) -> None:
    if page_max is not None and (run.max_cursor is None or page_max > run.max_cursor):
        run.max_cursor = page_max


def close_run(run: RunContext, *, succeeded: bool) -> SyncReport:
    """Advance the cursor only when every row up to it was loaded; then clean up and unlock."""
    report = run.report
    try:
        if succeeded and not run.dry_run and report.failed == 0 and run.max_cursor is not None:
            run.store.set_watermark(run.max_cursor)
            report.watermark = str(run.max_cursor)
        if run.report.extracted:
            run.store.clear_staging()
    finally:
        release_lock(run.store.engine, run.params.scope, run.run_id)
        run.source.dispose()
    report.seconds = round(time.monotonic() - run.started, 2)
    return report

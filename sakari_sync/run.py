"""A run's bookkeeping, for the flows: its id, the lock, both databases, the stored cursor, the report,
and what is cleaned up at the end. The stages never see this object: they are handed what they need."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from sakari_sync.config import SyncParameters, resolve_env
from sakari_sync.stages.extract import engine_from_url
from sakari_sync.stages.fingerprint import changed_settings, payload_settings
from sakari_sync.stages.report import SyncReport
from sakari_sync.state.cursor import read_cursor, write_cursor
from sakari_sync.state.database import connect_state
from sakari_sync.state.ledger import Ledger
from sakari_sync.state.lock import DeadRun, acquire_lock, release_lock, renew_lock
from sakari_sync.state.staging import Staging
from sakari_sync.state.syncs import read_settings, write_settings


@dataclass
class Run:
    """What one run holds while it runs."""

    params: SyncParameters
    run_id: str
    state: Engine
    staging: Staging
    ledger: Ledger
    source: Engine | None
    cursor: Any  # the stored cursor this run reads from; None for a full read
    report: SyncReport
    dry_run: bool
    settings: dict[str, Any] = field(default_factory=dict)  # what shapes payloads, stored at the end
    took_over: DeadRun | None = None  # the dead run whose lock this one took over
    started: float = field(default_factory=time.monotonic)

    @property
    def scope(self) -> str:
        """The name the state database files this run's sync (or shard) under."""
        return self.params.scope

    def renew(self) -> None:
        """Extend this run's lock (after each batch)."""
        renew_lock(self.state, self.scope, self.run_id)


async def open_run(
    params: SyncParameters,
    *,
    dry_run: bool = False,
    run_id: str | None = None,
    flow_run_id: str | None = None,
    stage: bool = True,
) -> Run:
    """Open the state database, take the sync's lock, read the cursor, and connect the source
    (`stage=False`: a run that reads no source, such as a reconcile alone)."""
    run_id = run_id or uuid.uuid4().hex[:12]
    state = connect_state(resolve_env(params.state_url, "state_url"))
    took_over = acquire_lock(state, params.scope, run_id, flow_run_id)
    try:
        staging = Staging(state, params.scope)
        if stage:
            staging.clear(rejects_too=True)
        settings = payload_settings(params)
        changed = changed_settings(read_settings(state, params.scope), settings)
        incremental = not params.full_refresh and params.source.cursor_column is not None and not changed
        cursor = read_cursor(state, params.scope) if incremental else None
        source = await connect_source(params) if stage else None
    except BaseException:
        release_lock(state, params.scope, run_id)
        state.dispose()
        raise
    mode = "dry-run" if dry_run else ("incremental" if cursor is not None else "full")
    report = SyncReport(sync_name=params.scope, run_id=run_id, mode=mode, load_mode=params.sakari.load_mode)
    if changed and params.source.cursor_column is not None and not params.full_refresh:
        report.reread = (
            f"the settings that shape payloads changed since the last run ({', '.join(changed)}): every row "
            "was read again; only contacts whose payload changed were sent"
        )
    ledger = Ledger(state, params.scope)
    return Run(params, run_id, state, staging, ledger, source, cursor, report, dry_run, settings, took_over)


async def connect_source(params: SyncParameters) -> Engine:
    """The source Engine, from `source.url` or the named prefect-sqlalchemy connector block."""
    if params.source.url is not None:
        return engine_from_url(resolve_env(params.source.url, "source.url"))
    assert params.source.block is not None  # SourceConfig guarantees exactly one of url and block
    from sakari_sync.blocks.warehouse import source_engine_from_block

    return await source_engine_from_block(params.source.block)


def close_run(run: Run, *, succeeded: bool, new_cursor: Any = None) -> SyncReport:
    """After a run that went to the end, store `new_cursor` and the settings it used; then clean up and
    unlock."""
    report = run.report
    try:
        if succeeded and not run.dry_run:
            # Contacts not delivered are read again by key next run, so the cursor may move past them.
            if new_cursor is not None:
                write_cursor(run.state, run.scope, new_cursor)
                report.cursor = str(new_cursor)
            write_settings(run.state, run.scope, run.settings)
        if report.extracted:
            run.staging.clear()
    finally:
        release_lock(run.state, run.scope, run.run_id)
        if run.source is not None:
            run.source.dispose()
        run.state.dispose()
    report.seconds = round(time.monotonic() - run.started, 2)
    return report

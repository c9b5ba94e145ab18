"""The load stage as Prefect tasks: one `load-batch-N` task run per batch, a few batches in flight.

Each batch records its results in the ledger before the next step, so a crash re-sends at most the
batches in flight (and creates are upserts by mobile, so nothing is duplicated).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote
from sqlalchemy.engine import Engine

from sakari_client import SakariClient
from sakari_client.models import MergeStrategy
from sakari_client.shared_limit import SharedRateLimit
from sakari_sync.blocks.sakari import load_sakari_credentials
from sakari_sync.config import SakariConfig, resolve_env
from sakari_sync.outcomes import Change, Outcome
from sakari_sync.progress import StageProgress
from sakari_sync.stages.breaker import Breaker
from sakari_sync.stages.bulk import send_bulk
from sakari_sync.stages.load import LoadCounts, Loaded, run_batches, send_batch, undelivered
from sakari_sync.state.ledger import Ledger
from sakari_sync.state.rates import read_rate, write_rate
from sakari_sync.state.staging import Staging
from sakari_sync.tasks.report import RunProgress

BATCHES_IN_FLIGHT = 2  # the next batch's requests start while the last one's stragglers finish


async def open_client(cfg: SakariConfig, state: Engine) -> tuple[SakariClient, str]:
    """The Sakari client from the saved credentials block, starting at the rate learned last run;
    and the account endpoint it talks to."""
    creds = await load_sakari_credentials(cfg.block)
    endpoint = f"{creds.base_url}/accounts/{creds.account_id}"
    shared = None
    if cfg.shared_limit_url and cfg.rate_limit:
        url = resolve_env(cfg.shared_limit_url, "sakari.shared_limit_url")
        shared = SharedRateLimit.from_url(url, f"sakari-sync:{endpoint}", cfg.rate_limit)
    client = creds.get_client(
        rate_limit=cfg.rate_limit,
        initial_rate=read_rate(state, endpoint),
        max_in_flight=cfg.max_in_flight,
        retry_attempts=cfg.retry_attempts,
        retry_timeout=cfg.retry_timeout,
        shared_limit=shared,
    )
    return client, endpoint


@task(name="load-batch", task_run_name="load-batch-{index}", cache_policy=NO_CACHE)
async def load_batch(
    client: SakariClient,
    ledger: Ledger,
    staging: Staging,
    changes: list[Change],
    merge_strategy: MergeStrategy,
    run_id: str,
    index: int,
    bulk: bool,
    breaker: Breaker,
) -> LoadCounts:
    """Send one batch and write its results to the ledger, its refused and failed contacts (with
    Sakari's code and message) to the run's rejects; counts by outcome. If the breaker (shared with
    the other batches in flight) stops, what was answered is still recorded."""
    if bulk:
        results = await send_bulk(client, changes, merge_strategy, breaker)
    else:
        results = await send_batch(client, changes, merge_strategy, breaker)
    ledger.record(run_id, results)
    for kind, rows in undelivered(results).items():
        staging.add_rejects(run_id, rows, kind)
    counts = LoadCounts.of(results)
    if counts.messages:
        said = "; ".join(f"{reason}: {message}" for reason, message in sorted(counts.messages.items()))
        refused, failed = counts.outcomes[Outcome.REJECTED], counts.outcomes[Outcome.FAILED]
        get_run_logger().warning(
            f"batch {index}: Sakari refused {refused} and could not take {failed} of {len(changes)} "
            f"contacts; they stay pending and are sent again next run ({said})"
        )
    return counts


async def load_changes(
    client: SakariClient,
    endpoint: str,
    state: Engine,
    staging: Staging,
    ledger: Ledger,
    run_id: str,
    cfg: SakariConfig,
    pending: int,
    progress: RunProgress,
    renew: Callable[[], None],
) -> Loaded:
    """Send every pending contact, a batch per task run, `BATCHES_IN_FLIGHT` at once, until done or
    the breaker stops the load; `renew` keeps the run's lock alive after each batch."""
    breaker = Breaker.for_load(pending, endpoint)
    counts = LoadCounts()
    started = time.monotonic()

    async def send(index: int, batch: list[Change]) -> LoadCounts:
        bulk = cfg.load_mode == "bulk"
        # Quoted: Prefect would otherwise walk every contact of the batch twice per task run, looking
        # for futures among its parameters (a tenth of the load's CPU under cProfile); the task gets
        # the list itself.
        changes = cast(list[Change], quote(batch))
        return await load_batch(
            client, ledger, staging, changes, cfg.merge_strategy, run_id, index, bulk, breaker
        )

    async def done(batch: LoadCounts) -> None:
        counts.add(batch)
        renew()
        await progress.update(_progress(counts, pending, started, client))

    stopped: Exception | None = None
    try:
        await run_batches(
            staging.iter_changes(run_id, cfg.batch_size),
            send,
            breaker,
            in_flight=BATCHES_IN_FLIGHT,
            done=done,
        )
    except Exception as exc:
        stopped = exc
    finally:
        if client.current_rate:
            write_rate(state, endpoint, client.current_rate)
    await progress.update(_progress(counts, pending, started, client, finished=True))
    stats = client.stats
    return Loaded(counts, stats.requests, stats.rate_limited, client.current_rate, stopped)


def _progress(
    counts: LoadCounts, pending: int, started: float, client: SakariClient, *, finished: bool = False
) -> StageProgress:
    by_outcome = {str(o): counts.outcomes.get(o, 0) for o in Outcome}
    by_outcome["429s"] = client.stats.rate_limited
    return StageProgress("load", counts.answered, pending, "contacts", started, by_outcome, finished=finished)

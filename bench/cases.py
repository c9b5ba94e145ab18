"""The cases of the performance issue, each returning its raw results (see BENCHMARKS.md for the table).

The runs, the sizes and the sync they run are in `bench.runs`; the baselines in `bench.baselines`.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bench.baselines import parse_phones_bare, post_bare, read_bare, run_naive_script
from bench.runs import CONCURRENCY, Bench
from sakari_sync.config import SyncParameters
from sakari_sync.sample_data import mutate_sample_warehouse, sample_url
from sakari_sync.stages.extract import iter_pages
from sakari_sync.stages.transform import transform_chunk
from sakari_sync.state.schema import ledger

NAIVE_LATENCY = 0.05  # seconds per answer in the naive comparison: a hosted API's round trip
BULK_COPY = "bulk.db"  # the large warehouse as the initial sync read it, for the bulk backfill (case 10)


def case_initial_rerun_change(bench: Bench) -> dict[str, Any]:
    """The large warehouse: initial sync, no-change rerun and a bare read of its rows (cases 1, 1b, 5,
    7, 9), then 1 % of rows changed (case 6), then two incremental runs with reconcile on (case 11)."""
    sizes = bench.sizes
    source = bench.warehouse("large.db", sizes.initial)
    params = bench.params(source, "large-state.db")
    bench.emulator.configure()
    initial = bench.sync(params)
    rerun = bench.sync(params)
    read_seconds, read_rows = read_bare(source, sizes.chunk)
    shutil.copyfile(bench.folder / "large.db", bench.folder / BULK_COPY)
    before = expected_hashes(params)
    mutation = mutate_sample_warehouse(source, changes=max(sizes.initial // 100, 1), seed=1)
    after = expected_hashes(params)
    changed = sum(1 for mobile, digest in after.items() if before.get(mobile) != digest)
    change = bench.sync(params)
    # The first run with reconcile on reads the whole account (none was ever read); the next one,
    # with nothing new in the source, is the quiet run a schedule repeats all day.
    scheduled = bench.params(source, "large-state.db", incremental=True, reconcile=True)
    first_reconciled = bench.sync(scheduled)
    quiet = bench.sync(scheduled)
    return {
        "initial": initial,
        "rerun": rerun,
        "read": {"seconds": read_seconds, "rows": read_rows},
        "change": change,
        "rows_edited": len(mutation.updated) + len(mutation.inserted) + (mutation.invalidated is not None),
        "payloads_changed": changed,
        "first_reconciled": first_reconciled,
        "quiet": quiet,
        "payloads": _synced_payloads(params, sizes.bare),
    }


def case_bulk(bench: Bench) -> dict[str, Any]:
    """First load of the large warehouse (as the initial sync read it) by CSV uploads, to an emptied
    emulator with a fresh state database (case 10). Lists are not mapped: a CSV cannot assign them,
    and contacts with lists would go one by one."""
    source = sample_url(bench.folder / BULK_COPY)
    bench.emulator.configure()
    return bench.sync(bench.params(source, "bulk-state.db", lists=False, load_mode="bulk"))


def expected_hashes(params: SyncParameters) -> dict[str, str]:
    """Each mobile's winning payload hash over the whole source, computed apart from the flow's SQL."""
    engine = sa.create_engine(params.source.url or "")
    try:
        valid = [
            transform_chunk(
                page.rows, params.mapping, params.phone, key_column="id", cursor_column="updated_at"
            ).valid
            for page in iter_pages(engine, params.source)
        ]
    finally:
        engine.dispose()
    # The de-duplication rule (state/staging.py), applied here with pandas as an independent check.
    ranked = pd.concat(valid, ignore_index=True).sort_values(["cursor_sort", "source_key"], kind="stable")
    winners = ranked.drop_duplicates("mobile", keep="last")
    return dict(zip(winners["mobile"], winners["payload_hash"], strict=True))


def _synced_payloads(params: SyncParameters, limit: int) -> list[str]:
    engine = sa.create_engine(params.state_url)
    try:
        with engine.connect() as conn:
            query = sa.select(ledger.c.payload).where(ledger.c.status == "synced").limit(limit)
            return [str(p) for p in conn.execute(query).scalars()]
    finally:
        engine.dispose()


def case_bare_client(bench: Bench, payloads: list[str]) -> dict[str, Any]:
    """The same payloads from a bare httpx client at the same concurrency, to an empty account."""
    bench.emulator.configure()
    cpu = time.process_time()
    seconds, statuses = asyncio.run(post_bare(bench.emulator.url, payloads, CONCURRENCY))
    cpu = time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "sent": len(payloads), "statuses": dict(statuses)}


def case_naive(bench: Bench) -> dict[str, Any]:
    """Pipeline vs the naive script, with a hosted API's latency on every answer (case 2)."""
    sizes = bench.sizes
    source = bench.warehouse("latency.db", sizes.latency_sync)
    bench.emulator.configure(latency=NAIVE_LATENCY)
    ours = bench.sync(bench.params(source, "latency-state.db"))
    bench.emulator.configure(latency=NAIVE_LATENCY)
    seconds, posted = run_naive_script(bench.emulator.url, source, sizes.naive)
    return {"ours": ours, "naive_seconds": seconds, "naive_posted": posted}


def case_rate_limit(bench: Bench, limit: float, *, told: bool) -> dict[str, Any]:
    """Emulator at `limit` requests/s with bare 429s (no Retry-After); the pipeline told it or not."""
    source = bench.warehouse(f"limited-{limit:g}.db", bench.sizes.limited)
    bench.emulator.configure(rate_limit=limit, retry_after=False)
    state = f"limited-{limit:g}-{'told' if told else 'learning'}-state.db"
    ours = bench.sync(bench.params(source, state, rate_limit=limit if told else None))
    answers = bench.emulator.counts()
    contacts, span = bench.emulator.created_span()
    return {
        "ours": ours,
        "contacts": contacts,
        "span": span,
        "posts": sum(answers.values()),
        "throttled": answers.get(429, 0),
    }


def case_memory_small(bench: Bench) -> dict[str, Any]:
    """The memory case's small run (the large one is the initial sync)."""
    source = bench.warehouse("small.db", bench.sizes.memory_small)
    bench.emulator.configure()
    return bench.sync(bench.params(source, "small-state.db"))


def case_transform(bench: Bench) -> dict[str, Any]:
    """Transform stage (as the flow runs it, without Prefect) vs a bare phonenumbers loop; best of 2."""
    params = bench.params(bench.warehouse("transform.db", bench.sizes.initial), "unused.db")
    engine = sa.create_engine(params.source.url or "")
    try:
        pages = [page.rows for page in iter_pages(engine, params.source)]
    finally:
        engine.dispose()
    values = [pair for rows in pages for pair in zip(rows["phone"], rows["country"], strict=True)]
    ours, bare = [], []
    for _ in range(2):
        started = time.perf_counter()
        for rows in pages:
            transform_chunk(rows, params.mapping, params.phone, key_column="id", cursor_column="updated_at")
        ours.append(time.perf_counter() - started)
        bare.append(parse_phones_bare(values))
    return {"rows": len(values), "ours_seconds": min(ours), "bare_seconds": min(bare)}

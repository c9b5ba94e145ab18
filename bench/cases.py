"""The cases of the performance issue, each returning its figures (see BENCHMARKS.md for the table).

Every pipeline run is a real `sync-contacts` flow run against a Prefect server, in a child process
(`bench.child`), reading a sample warehouse (`create_sample_warehouse`) with `full_refresh` on (a
rerun reads every row again and must find nothing to send) and reconcile off (the cases measure
extract, transform, staging and load; the read-back is a separate cost).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bench.baselines import parse_phones_bare, post_bare, run_naive_script
from bench.child import BLOCK, MARKER
from bench.services import Emulator
from sakari_sync.config import SyncParameters
from sakari_sync.sample_data import create_sample_warehouse, mutate_sample_warehouse, sample_mapping
from sakari_sync.stages.extract import iter_pages
from sakari_sync.stages.transform import transform_chunk
from sakari_sync.state.schema import ledger

CONCURRENCY = 16  # the pipeline's default max_in_flight, and the bare client's workers
NAIVE_LATENCY = 0.05  # seconds per answer in the naive comparison: a hosted API's round trip


@dataclass
class Sizes:
    """Rows per case, derived from `--rows` (the large size: the 100k of the issue by default)."""

    rows: int
    initial: int  # the initial sync / rerun / 1 % change / memory-large warehouse
    memory_small: int
    bare: int  # payloads the bare client posts
    latency_sync: int  # pipeline rows in the naive comparison
    naive: int  # rows the naive script sends (it is slow; its rate is what counts)
    limited: int  # rows in each rate-limit case
    chunk: int
    batch: int

    @classmethod
    def for_rows(cls, rows: int) -> Sizes:
        return cls(
            rows=rows,
            initial=rows,
            memory_small=max(rows // 10, 50),
            bare=max(min(rows // 10, 10_000), 50),
            latency_sync=max(min(rows // 20, 5_000), 50),
            naive=max(min(rows // 200, 300), 20),
            limited=max(min(rows // 25, 3_500), 50),
            chunk=min(max(rows // 10, 100), 10_000),
            batch=min(max(rows // 50, 50), 2_000),
        )


@dataclass
class Bench:
    """What the cases share: the emulator, a work folder, the sizes, and the figures so far."""

    emulator: Emulator
    folder: Path
    sizes: Sizes
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: int = 0

    def params(self, source_url: str, state_name: str, **sakari: Any) -> SyncParameters:
        """The sync the benchmarks run: every sample column mapped, as in the demo."""
        return SyncParameters.model_validate(
            {
                "name": "bench",
                "source": {
                    "url": source_url,
                    "table": "contacts",
                    "key_column": "id",
                    "cursor_column": "updated_at",
                    "chunk_size": self.sizes.chunk,
                },
                "mapping": sample_mapping(self.emulator.list_ids),
                "sakari": {"block": BLOCK, "batch_size": self.sizes.batch, "max_in_flight": CONCURRENCY}
                | sakari,
                "reconcile": {"enabled": False},
                "state_url": f"sqlite:///{self.folder / state_name}",
                "full_refresh": True,
            }
        )

    def warehouse(self, name: str, rows: int) -> str:
        return create_sample_warehouse(self.folder / name, rows=rows)

    def sync(self, params: SyncParameters) -> dict[str, Any]:
        """Run the flow in a child process; its report, wall seconds, peak RSS and POSTs sent."""
        before = sum(self.emulator.counts().values())
        command = [sys.executable, "-m", "bench.child", params.model_dump_json(), self.emulator.url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"the benchmark sync failed ({done.returncode}):\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(lines[-1].removeprefix(MARKER))
        result["posts"] = sum(self.emulator.counts().values()) - before
        self.runs += 1
        return result


def case_initial_rerun_change(bench: Bench) -> dict[str, Any]:
    """The large warehouse: initial sync, no-change rerun, then 1 % of rows changed (cases 1, 5, 6, 7)."""
    sizes = bench.sizes
    source = bench.warehouse("large.db", sizes.initial)
    params = bench.params(source, "large-state.db")
    bench.emulator.configure()
    initial = bench.sync(params)
    rerun = bench.sync(params)
    before = expected_hashes(params)
    mutation = mutate_sample_warehouse(source, changes=max(sizes.initial // 100, 1), seed=1)
    after = expected_hashes(params)
    changed = sum(1 for mobile, digest in after.items() if before.get(mobile) != digest)
    change = bench.sync(params)
    return {
        "initial": initial,
        "rerun": rerun,
        "change": change,
        "rows_edited": len(mutation.updated) + len(mutation.inserted) + (mutation.invalidated is not None),
        "payloads_changed": changed,
        "payloads": _synced_payloads(params, sizes.bare),
    }


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

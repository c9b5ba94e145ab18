"""What every case shares: the sizes, the sync the benchmarks run, and running it in a child process.

Every pipeline run is a real `sync-contacts` flow run against a Prefect server, in a child process
(`bench.child`), reading a sample warehouse (`create_sample_warehouse`). By default a run is a full
refresh (a rerun reads every row again and must find nothing to send) with reconcile off (the cases
measure extract, transform, staging and load; the read-back is a separate cost); the quiet run
(case 11) turns both the other way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.child import BLOCK, MARKER
from bench.services import Emulator
from sakari_sync.config import SyncParameters
from sakari_sync.sample_data import create_sample_warehouse, sample_mapping

CONCURRENCY = 16  # the pipeline's default max_in_flight, and the bare client's workers


@dataclass
class Sizes:
    """Rows per case, derived from `--rows` (the large size: the 100k of the issue by default)."""

    rows: int
    initial: int  # the initial sync / rerun / 1 % change / memory-large / bulk warehouse
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
    """What the cases share: the emulator, a work folder and the sizes."""

    emulator: Emulator
    folder: Path
    sizes: Sizes
    runs: int = 0

    def params(
        self,
        source_url: str,
        state_name: str,
        *,
        lists: bool = True,
        incremental: bool = False,
        reconcile: bool = False,
        **sakari: Any,
    ) -> SyncParameters:
        """The sync the benchmarks run: every sample column mapped, as in the demo (`lists=False`
        leaves the list column out: a CSV upload cannot assign lists)."""
        mapping = sample_mapping(self.emulator.list_ids)
        if not lists:
            del mapping["lists"]
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
                "mapping": mapping,
                "sakari": {"block": BLOCK, "batch_size": self.sizes.batch, "max_in_flight": CONCURRENCY}
                | sakari,
                "reconcile": {"enabled": reconcile},
                "state_url": f"sqlite:///{self.folder / state_name}",
                "full_refresh": not incremental,
            }
        )

    def warehouse(self, name: str, rows: int) -> str:
        return create_sample_warehouse(self.folder / name, rows=rows)

    def sync(self, params: SyncParameters) -> dict[str, Any]:
        """Run the flow in a child process: its report, wall and CPU seconds, peak RSS, and what the
        emulator received meanwhile (`posts` to the contacts route, `requests` of any kind but the
        token's)."""
        posts, requests = self.emulator.counts(), self.emulator.requests()
        command = [sys.executable, "-m", "bench.child", params.model_dump_json(), self.emulator.url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"the benchmark sync failed ({done.returncode}):\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(lines[-1].removeprefix(MARKER))
        result["posts"] = sum(self.emulator.counts().values()) - sum(posts.values())
        result["requests"] = self.emulator.requests() - requests
        self.runs += 1
        return result

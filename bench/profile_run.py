"""`python -m bench.profile_run [ROWS]`: where a run's seconds go, in one process, under cProfile.

Starts a temporary Prefect server and the emulator (in this process), syncs a sample warehouse of ROWS
rows (default 20,000) once, then times a no-change incremental run and a no-change full refresh, and
prints the profile of one more full refresh: the profile that guided the rerun's cost (BENCHMARKS.md,
Notes). Figures under cProfile run slower than without it; compare entries with each other.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import httpx


def main(rows: int) -> None:
    """Run the three syncs and print their times, then the profile of a fourth."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    from sakari_emulator.config import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, EmulatorConfig
    from sakari_emulator.server import EmulatorServer
    from sakari_sync.app.runner import save_sakari_block
    from sakari_sync.config import SyncParameters
    from sakari_sync.flows.sync import sync_contacts
    from sakari_sync.sample_data import SEGMENTS, create_sample_warehouse, sample_mapping

    folder = Path(tempfile.mkdtemp(prefix="sakari-profile-"))
    lists = list(SEGMENTS)
    with (
        prefect_test_harness(server_startup_timeout=120),
        EmulatorServer(EmulatorConfig(port=0, lists=lists)) as emu,
    ):
        save_sakari_block(
            "profile",
            base_url=emu.url,
            account_id=DEMO_ACCOUNT_ID,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
        )
        ids = {i["name"]: i["id"] for i in httpx.get(f"{emu.url}/_emulator/lists").json()}
        url = create_sample_warehouse(folder / "warehouse.db", rows=rows, seed=3)
        params = SyncParameters.model_validate(
            {
                "name": "profile",
                "source": {
                    "url": url,
                    "table": "contacts",
                    "cursor_column": "updated_at",
                    "chunk_size": 10_000,
                },
                "mapping": sample_mapping(ids),
                "sakari": {"block": "profile"},
                "state_url": f"sqlite:///{folder / 'state.db'}",
            }
        )

        def timed(label: str, full_refresh: bool) -> None:
            started = time.perf_counter()
            report = asyncio.run(
                sync_contacts(params=params.model_copy(update={"full_refresh": full_refresh}))
            )
            took = time.perf_counter() - started
            print(f"{label}: {took:.2f} s, created {report.created:,}, skipped {report.skipped:,}, "
                  f"stages {report.stage_seconds}, requests {report.requests}")  # fmt: skip

        timed("initial sync", False)
        timed("no-change incremental run", False)
        timed("no-change full refresh", True)
        profile = cProfile.Profile()
        profile.enable()
        timed("profiled full refresh", True)
        profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)

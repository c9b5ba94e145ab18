"""`python -m bench --large N`: the memory, rerun and unchanged-throughput cases at N rows (the issue's
1,000,000), written into their own section of BENCHMARKS.md.

At ~2,800 creates/s a 1,000,000-row initial sync one contact at a time would take about 6 minutes (a
CSV load takes 2), so both initial loads here (N rows, and N/10 for the memory ratio) go through CSV uploads
(`sakari.load_mode: bulk`). A CSV cannot assign lists, so the mapping leaves the list column out (with
it, three contacts in four would go one by one); every run of this section uses that same mapping.
"""

from __future__ import annotations

from typing import Any

from bench.baselines import read_bare
from bench.runs import Bench


def run_large(bench: Bench, say: Any) -> dict[str, Any]:
    """The small and the large initial loads by CSV, then the large no-change rerun and a bare read."""
    sizes = bench.sizes
    say(f"large run: warehouses of {sizes.memory_small:,} and {sizes.initial:,} rows")
    small_source = bench.warehouse("small.db", sizes.memory_small)
    source = bench.warehouse("large.db", sizes.initial)
    say(f"large run: initial load by CSV, {sizes.memory_small:,} rows")
    bench.emulator.configure()
    small = bench.sync(bench.params(small_source, "small-state.db", lists=False, load_mode="bulk"))
    say(f"large run: initial load by CSV, {sizes.initial:,} rows")
    bench.emulator.configure()
    params = bench.params(source, "large-state.db", lists=False, load_mode="bulk")
    initial = bench.sync(params)
    say(f"large run: no-change rerun, {sizes.initial:,} rows")
    rerun = bench.sync(params)
    say(f"large run: bare read, {sizes.initial:,} rows")
    read_seconds, read_rows = read_bare(source, sizes.chunk)
    return {
        "small": small,
        "initial": initial,
        "rerun": rerun,
        "read": {"seconds": read_seconds, "rows": read_rows},
    }

"""`python -m bench [--rows N | --large N] [--json]`: run the cases of the performance issue, print the
figures, and write them with the machine's description into BENCHMARKS.md.

`--rows N` (default 100,000) runs every case and rewrites the file but its large-run section;
`--large N` runs only the memory and rerun cases at N rows and rewrites only that section.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cases import (
    case_bare_client,
    case_bulk,
    case_initial_rerun_change,
    case_memory_small,
    case_naive,
    case_rate_limit,
    case_transform,
)
from bench.figures import Figure, compute_figures, compute_large_figures, table
from bench.large import run_large
from bench.report import as_json, write_large_section, write_markdown
from bench.runs import Bench, Sizes
from bench.services import describe_machine, prefect_api, run_emulator
from sakari_sync.sample_data import max_sample_rows

DEFAULT_ROWS = 100_000
MIN_ROWS = 200


def run_cases(bench: Bench, say: Callable[[str], None]) -> dict[str, Any]:
    """Run every case in an order that reuses the large warehouse's state; the raw results."""
    raw: dict[str, Any] = {}
    sizes = bench.sizes
    say(f"large warehouse, {sizes.initial:,} rows: initial sync, rerun, 1 % change, quiet run")
    raw["large"] = case_initial_rerun_change(bench)
    say(f"bare httpx client, {len(raw['large']['payloads']):,} payloads")
    raw["bare"] = case_bare_client(bench, raw["large"].pop("payloads"))
    say(f"bulk backfill by CSV, {sizes.initial:,} rows")
    raw["bulk"] = case_bulk(bench)
    say(f"memory, small run of {sizes.memory_small:,} rows")
    raw["small"] = case_memory_small(bench)
    say(f"naive script ({sizes.naive:,} rows), ours ({sizes.latency_sync:,} rows), latency")
    raw["naive"] = case_naive(bench)
    say(f"known rate limit, {sizes.limited:,} rows")
    raw["known"] = case_rate_limit(bench, 50.0, told=True)
    say(f"unknown rate limit, {sizes.limited:,} rows")
    raw["unknown"] = case_rate_limit(bench, 37.0, told=False)
    say(f"transform, {sizes.initial:,} rows")
    raw["transform"] = case_transform(bench)
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help="large warehouse rows (default %(default)s)"
    )
    size.add_argument("--large", type=int, metavar="N", help="only the memory and rerun cases, at N rows")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"), help="where to write the table")
    parser.add_argument("--no-write", action="store_true", help="do not write the Markdown file")
    args = parser.parse_args(argv)
    rows = args.large or args.rows
    if not MIN_ROWS <= rows <= max_sample_rows():
        parser.error(f"rows must be between {MIN_ROWS} and {max_sample_rows():,} (the sample warehouse)")

    def say(message: str) -> None:
        if not args.json:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    sizes = Sizes.for_rows(rows)
    machine = describe_machine()
    with (
        tempfile.TemporaryDirectory(prefix="sakari-bench-") as folder,
        prefect_api(),
        run_emulator() as emulator,
    ):
        bench = Bench(emulator, Path(folder), sizes)
        raw = run_large(bench, say) if args.large else run_cases(bench, say)
    seconds = time.perf_counter() - started
    figures: list[Figure]
    if args.large:
        figures = compute_large_figures(raw, sizes)
        command, write = f"python -m bench --large {rows}", write_large_section
    else:
        figures = compute_figures(raw, sizes)
        command = "python -m bench" + ("" if rows == DEFAULT_ROWS else f" --rows {rows}")
        write = write_markdown
    if not args.no_write:
        write(args.output, figures, machine, sizes, seconds, command)
    if args.json:
        print(json.dumps(as_json(figures, machine, sizes, seconds) | {"raw": raw}, default=str))
    else:
        print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

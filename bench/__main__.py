"""`python -m bench [--rows N] [--json]`: run every case of the performance issue, print the figures,
and write them with the machine's description into BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cases import (
    Bench,
    Sizes,
    case_bare_client,
    case_initial_rerun_change,
    case_memory_small,
    case_naive,
    case_rate_limit,
    case_transform,
)
from bench.report import as_json, compute_figures, table, write_markdown
from bench.services import describe_machine, prefect_api, run_emulator

DEFAULT_ROWS = 100_000
# The sample warehouse draws unique mobiles from fixed number ranges; its US ranges (170,000 numbers,
# 42 % of people) run out near 450,000 rows, so a 1,000,000-row run needs more ranges there first.
MAX_ROWS = 400_000


def run_cases(bench: Bench, say: Any) -> dict[str, Any]:
    """Run every case in an order that reuses the large warehouse's state; the raw results."""
    raw: dict[str, Any] = {}
    say(f"large warehouse, {bench.sizes.initial:,} rows: initial sync, rerun, 1 % change")
    raw["large"] = case_initial_rerun_change(bench)
    say(f"bare httpx client, {len(raw['large']['payloads']):,} payloads")
    raw["bare"] = case_bare_client(bench, raw["large"].pop("payloads"))
    say(f"memory, small run of {bench.sizes.memory_small:,} rows")
    raw["small"] = case_memory_small(bench)
    say(f"naive script ({bench.sizes.naive:,} rows), ours ({bench.sizes.latency_sync:,} rows), latency")
    raw["naive"] = case_naive(bench)
    say(f"known rate limit, {bench.sizes.limited:,} rows")
    raw["known"] = case_rate_limit(bench, 50.0, told=True)
    say(f"unknown rate limit, {bench.sizes.limited:,} rows")
    raw["unknown"] = case_rate_limit(bench, 37.0, told=False)
    say(f"transform, {bench.sizes.initial:,} rows")
    raw["transform"] = case_transform(bench)
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help="large warehouse rows (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"), help="where to write the table")
    parser.add_argument("--no-write", action="store_true", help="do not write the Markdown file")
    args = parser.parse_args(argv)
    if not 200 <= args.rows <= MAX_ROWS:
        parser.error(f"--rows must be between 200 and {MAX_ROWS:,} (the sample warehouse's phone ranges)")

    def say(message: str) -> None:
        if not args.json:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    sizes = Sizes.for_rows(args.rows)
    machine = describe_machine()
    with (
        tempfile.TemporaryDirectory(prefix="sakari-bench-") as folder,
        prefect_api(),
        run_emulator() as emulator,
    ):
        raw = run_cases(Bench(emulator, Path(folder), sizes), say)
    seconds = time.perf_counter() - started
    figures = compute_figures(raw, sizes)
    command = "python -m bench" + ("" if args.rows == DEFAULT_ROWS else f" --rows {args.rows}")
    if not args.no_write:
        write_markdown(args.output, figures, machine, sizes, seconds, command)
    if args.json:
        print(json.dumps(as_json(figures, machine, sizes, seconds) | {"raw": raw}, default=str))
    else:
        print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rows/s of `transform_chunk` against a bare phonenumbers parse / is_valid / format loop (by hand).

Not a test and not a timed assertion: run it on a quiet machine and read the ratios.

    .venv/bin/python -m tests.transform.measure_throughput [rows]

The goal (BENCHMARKS.md, case 8) is transform rows/s >= 1.0 x bare-loop rows/s on the demo's sample
warehouse with its full mapping (`sample_mapping`), read in 10,000-row pages as `python -m bench`
does; the synthetic datasets show the phone-only and typical mappings. Both sides read the same
values in the same process, so both use the pattern cache that importing sakari_sync.stages.phones
switches on. Runs are interleaved and the best CPU time (time.process_time) of each counts, which
keeps other processes on a shared machine out of the figures.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from bench.baselines import bare_phones
from sakari_sync.config import MappingConfig, PhoneConfig, SourceConfig
from sakari_sync.sample_data import SEGMENTS, create_sample_warehouse, sample_mapping
from sakari_sync.stages.extract import iter_pages
from sakari_sync.stages.transform import transform_chunk

Maker = Callable[[random.Random], str]

_MIXED: list[Maker] = [
    lambda r: f"({r.randint(201, 989)}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
    lambda r: f"+1{r.randint(201, 989)}{r.randint(200, 999)}{r.randint(0, 9999):04d}",
    lambda r: f"{r.randint(201, 989)}.{r.randint(200, 999)}.{r.randint(0, 9999):04d}",
    lambda r: f"+44 7{r.randint(400, 999)} {r.randint(100000, 999999)}",
    lambda r: f"+49 15{r.randint(10, 99)} {r.randint(1000000, 9999999)}",
    lambda r: f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}",
    lambda r: f"+91 9{r.randint(1000, 9999)} {r.randint(10000, 99999)}",
    lambda r: f"+61 4{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}",
]
# The slow shape for the shortcut in sakari_sync.stages.phones: national numbers with a trunk prefix.
_GB_NATIONAL: list[Maker] = [lambda r: f"07{r.randint(400, 999)} {r.randint(100000, 999999)}"]

DATASETS: dict[str, tuple[list[Maker], str]] = {
    "mixed formats, default US": (_MIXED, "US"),
    "GB national 07…, default GB": (_GB_NATIONAL, "GB"),
}


def sample_frame(rows: int, makers: list[Maker] = _MIXED, seed: int = 7) -> pd.DataFrame:
    """`rows` contacts with names, email, an attribute and a cursor; phones from `makers`."""
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "id": range(rows),
            "phone": [rng.choice(makers)(rng) for _ in range(rows)],
            "first": [f"Ann{i}" for i in range(rows)],
            "last": ["Lee"] * rows,
            "email": [f"ann{i}@example.com" for i in range(rows)],
            "plan": [rng.choice(["free", "pro", None]) for _ in range(rows)],
            "updated_at": pd.date_range("2024-01-01", periods=rows, freq="s", tz="UTC"),
        }
    )


def warehouse_pages(rows: int, folder: Path, chunk_size: int = 10_000) -> list[pd.DataFrame]:
    """The demo's sample warehouse of `rows` contacts, read back in pages as the flow reads it."""
    url = create_sample_warehouse(folder / "sample.db", rows=rows)
    source = SourceConfig(
        url=url, table="contacts", key_column="id", cursor_column="updated_at", chunk_size=chunk_size
    )
    return [page.rows for page in iter_pages(url, source)]


def measure_warehouse(rows: int) -> None:
    """Case 8 of the benchmarks: the demo's full mapping over the sample warehouse, vs `bare_phones`."""
    with tempfile.TemporaryDirectory() as folder:
        pages = warehouse_pages(rows, Path(folder))
    mapping = MappingConfig.model_validate(sample_mapping({name: f"list-{name}" for name in SEGMENTS}))
    phone = PhoneConfig()
    pairs = [pair for page in pages for pair in zip(page["phone"], page["country"], strict=True)]

    def ours() -> None:
        for page in pages:
            transform_chunk(page, mapping, phone, key_column="id", cursor_column="updated_at")

    best = best_times({"bare": partial(bare_phones, pairs), "ours": ours})
    print(
        f"demo warehouse, full mapping: bare loop {rows / best['bare']:,.0f} rows/s, "
        f"transform_chunk {rows / best['ours']:,.0f} rows/s, ratio {best['bare'] / best['ours']:.2f}"
    )


def best_times(funcs: dict[str, Callable[[], object]], rounds: int = 5) -> dict[str, float]:
    """The least CPU seconds of each function over interleaved rounds."""
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for name, func in funcs.items():
            start = time.process_time()
            func()
            best[name] = min(best[name], time.process_time() - start)
    return best


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    measure_warehouse(rows)
    mappings = {
        "phone only": (MappingConfig(mobile="phone"), None),
        "typical": (
            MappingConfig(
                mobile="phone",
                first_name="first",
                last_name="last",
                email="email",
                attributes={"plan": "plan"},
            ),
            "updated_at",
        ),
    }
    for dataset, (makers, region) in DATASETS.items():
        df = sample_frame(rows, makers)
        phone = PhoneConfig(default_region=region, reject_fixed_line=True)
        pairs = [(value, None) for value in df["phone"]]  # no country column: the region for all
        funcs: dict[str, Callable[[], object]] = {"bare": partial(bare_phones, pairs, region)}
        for name, (mapping, cursor) in mappings.items():
            funcs[name] = partial(transform_chunk, df, mapping, phone, key_column="id", cursor_column=cursor)
        best = best_times(funcs)
        print(f"{dataset}: bare loop {rows / best['bare']:,.0f} rows/s")
        for name in mappings:
            ratio = best["bare"] / best[name]
            print(f"  transform_chunk, {name} mapping: {rows / best[name]:,.0f} rows/s, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()

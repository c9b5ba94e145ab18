"""Rows/s of `transform_chunk` against a bare phonenumbers parse / is_valid / format loop (by hand).

Not a test and not a timed assertion: run it on a quiet machine and read the ratio.

    .venv/bin/python -m tests.transform.measure_throughput [rows]

The goal is a ratio (transform rows/s divided by bare-loop rows/s) of at least 0.8. Both sides read
the same distinct values (so no cache helps either side); the best of three runs counts.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import pandas as pd
import phonenumbers

from sakari_sync.config import MappingConfig, PhoneConfig
from tasks.transform import transform_chunk

_FORMATS: list[Callable[[random.Random], str]] = [
    lambda r: f"({r.randint(201, 989)}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
    lambda r: f"+1{r.randint(201, 989)}{r.randint(200, 999)}{r.randint(0, 9999):04d}",
    lambda r: f"{r.randint(201, 989)}.{r.randint(200, 999)}.{r.randint(0, 9999):04d}",
    lambda r: f"+44 7{r.randint(400, 999)} {r.randint(100000, 999999)}",
    lambda r: f"+49 15{r.randint(10, 99)} {r.randint(1000000, 9999999)}",
    lambda r: f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}",
    lambda r: f"+91 9{r.randint(1000, 9999)} {r.randint(10000, 99999)}",
    lambda r: f"+61 4{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}",
]


def sample_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` distinct-looking contacts, mostly US, with names, email, an attribute and a cursor."""
    rng = random.Random(seed)
    phones = [rng.choice(_FORMATS)(rng) for _ in range(rows)]
    return pd.DataFrame(
        {
            "id": range(rows),
            "phone": phones,
            "first": [f"Ann{i}" for i in range(rows)],
            "last": ["Lee"] * rows,
            "email": [f"ann{i}@example.com" for i in range(rows)],
            "plan": [rng.choice(["free", "pro", None]) for _ in range(rows)],
            "updated_at": pd.date_range("2024-01-01", periods=rows, freq="s", tz="UTC"),
        }
    )


def bare_loop(values: list[str], region: str) -> int:
    """The floor: parse, is_valid_number and E.164 format, nothing else."""
    kept = 0
    for value in values:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            kept += 1
    return kept


def best_of(runs: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    df = sample_frame(rows)
    values = df["phone"].tolist()
    phone = PhoneConfig(default_region="US", reject_fixed_line=True)
    mappings = {
        "phone only": (MappingConfig(mobile="phone"), None),
        "typical": (
            MappingConfig(
                mobile="phone", first_name="first", last_name="last", email="email", attributes={"plan": "plan"}
            ),
            "updated_at",
        ),
    }
    bare = best_of(3, lambda: bare_loop(values, "US"))
    print(f"bare phonenumbers loop: {rows / bare:,.0f} rows/s")
    for name, (mapping, cursor) in mappings.items():
        took = best_of(3, lambda m=mapping, c=cursor: transform_chunk(df, m, phone, key_column="id", cursor_column=c))
        print(f"transform_chunk ({name}): {rows / took:,.0f} rows/s, ratio {bare / took:.2f}")


if __name__ == "__main__":
    main()

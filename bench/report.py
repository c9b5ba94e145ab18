"""BENCHMARKS.md: the machine, the sizes, how each case measures, the table of `python -m bench`, the
section of `python -m bench --large N`, and the closing notes people write: each run rewrites only
its own part, and no run touches the notes."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.cases import NAIVE_LATENCY
from bench.figures import Figure, table
from bench.runs import Sizes

LARGE = ("<!-- python -m bench --large: start -->", "<!-- python -m bench --large: end -->")
NOTES = ("<!-- notes, written by hand: start -->", "<!-- notes, written by hand: end -->")
_NO_LARGE = f"""{LARGE[0]}
## Large run

Not run yet: `python -m bench --large 1000000` writes its figures here.
{LARGE[1]}"""
_NO_NOTES = f"""{NOTES[0]}
## Notes

Nothing yet: what changed between runs (before and after, and the profile that guided it) goes
here, by hand, between these markers; `python -m bench` keeps it.
{NOTES[1]}"""


def as_json(figures: list[Figure], machine: dict[str, str], sizes: Sizes, seconds: float) -> dict[str, Any]:
    return {
        "figures": [asdict(f) for f in figures],
        "machine": machine,
        "sizes": asdict(sizes),
        "seconds": round(seconds, 1),
    }


def write_markdown(
    path: Path, figures: list[Figure], machine: dict[str, str], sizes: Sizes, seconds: float, command: str
) -> None:
    """Write BENCHMARKS.md: how to run, the table, the machine, the sizes and how each case measures;
    the large run's section and the notes, if the file has them, are kept as they are."""
    machine_lines = "\n".join(f"| {k} | {v} |" for k, v in machine.items())
    size_lines = "\n".join(f"| {k} | {v:,} |" for k, v in asdict(sizes).items())
    text = _TEMPLATE.format(
        command=command,
        seconds=seconds,
        machine=machine_lines,
        sizes=size_lines,
        table=table(figures),
        large=_section(path, LARGE) or _NO_LARGE,
        notes=_section(path, NOTES) or _NO_NOTES,
        latency=NAIVE_LATENCY * 1000,
    )
    path.write_text(text, encoding="utf-8")


def write_large_section(
    path: Path, figures: list[Figure], machine: dict[str, str], sizes: Sizes, seconds: float, command: str
) -> None:
    """Put the large run's figures into BENCHMARKS.md's own section for them, leaving the rest."""
    section = _LARGE_TEMPLATE.format(
        start=LARGE[0],
        end=LARGE[1],
        rows=sizes.initial,
        small=sizes.memory_small,
        command=command,
        when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        seconds=seconds,
        load=machine["load average at start"],
        table=table(figures),
    )
    old = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{_NO_LARGE}\n"
    current = _section(path, LARGE) or _NO_LARGE
    if current not in old:
        old = f"{old.rstrip()}\n\n{_NO_LARGE}\n"
    path.write_text(old.replace(current, section), encoding="utf-8")


def _section(path: Path, markers: tuple[str, str]) -> str | None:
    """The section between `markers` of the file at `path`, markers included, if it has one."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    start, end = text.find(markers[0]), text.find(markers[1])
    return text[start : end + len(markers[1])] if 0 <= start < end else None


_TEMPLATE = """\
# Benchmarks

Written by `{command}` (the whole run took {seconds:,.0f} s). Rerun it to refresh this file:
`--rows N` scales the cases, `--json` prints one JSON object instead of the table, and `--large N`
runs the memory and rerun cases at N rows into their own section below, leaving this table alone.
Figures are ratios against a baseline measured in the same run, because the machines are shared
and absolute times drift.

## Results

{table}

{large}

## Machine

| what | value |
|---|---|
{machine}

## Sizes

`--rows` (default 100,000) is the large warehouse: the initial sync, the no-change rerun, the 1 %
change, the quiet run, the bulk backfill and the large memory run all use it. The other sizes
follow from it:

| size | rows |
|---|---|
{sizes}

`chunk` and `batch` are the `source.chunk_size` and `sakari.batch_size` of every run, so the memory
runs differ only in rows, and even the largest run stays at a few hundred task runs per flow run.
Here the memory case compares `--rows` with a tenth of it; the issue's 1,000,000 rows against
100,000 is the `--large 1000000` section. The sample warehouse gives every row a mobile of its own
up to `sakari_sync.sample_data.max_sample_rows()` (about 3 million rows), the most `--rows` and
`--large` accept.

## How it measures

- **Emulator**: `python -m sakari_emulator --port 0` in a child process, so it does not share the
  pipeline's GIL. One emulator serves every case; each case resets it and sets its faults with
  `PATCH /_emulator/faults`, and reads what it received from `GET /_emulator/stats` (requests by
  method, route and status; the inspection routes are not counted).
- **Prefect**: every pipeline run is a real `sync-contacts` flow run against a Prefect server
  (`PREFECT_API_URL` if set, else `prefect server start` with a temporary `PREFECT_HOME`), never the
  ephemeral mode. Each run is a child process (`python -m bench.child`); its time is the flow call's
  wall clock (interpreter start and imports not counted), its CPU the process's user + system time
  over the same call (`getrusage(RUSAGE_SELF)`, every thread; the Prefect server's and the
  emulator's CPU are not in it), its memory the process's own peak RSS (`VmHWM` in
  /proc/self/status: `ru_maxrss` would include the harness's RSS, which Linux folds into a child's
  at exec).
- **Runs**: `full_refresh` (every row read each time, so the rerun really compares every row) and
  reconcile off (the read-back is a separate cost), except case 11. The sample warehouse is
  `sakari_sync.sample_data.create_sample_warehouse` (about 88 % of rows become contacts).
- **1 initial sync**: ours is created ÷ the flow's wall clock, end to end (extract, transform,
  staging, load); the bare client (`bench.baselines.post_bare`: one `httpx.AsyncClient` on
  `httpx_aiohttp.AiohttpTransport`, the fastest transport measured for the issue, one pool of 16
  connections, 16 workers, no pacing, retries or parsing) posts the first `bare` payloads the
  pipeline sent, to an emptied emulator, from the harness's own process. The bare client's CPU per
  post is in the detail.
- **1b CPU per contact**: the initial sync's CPU (as above) ÷ contacts created: everything the
  flow's process does for a contact, Prefect's task runs and API calls included.
- **2 naive script**: `pandas.read_sql`, then a loop of `httpx.post` with retries (first `naive` rows).
  Both sides run with {latency:.0f} ms added to every answer, a hosted API's round trip: against a
  loopback emulator with no latency a serial loop is bound by CPU, like everything else, and the
  comparison would say nothing about serial round trips.
- **3, 4 rate limits**: the emulator's token bucket (burst 10) without `Retry-After`; creates/s is
  contacts ÷ the span between the first and last contact's `created.at` (the emulator's clock); the
  429 share is over every POST. Case 4 starts with an empty state database (nothing learned).
- **5, 6**: the rerun (a full refresh of the unchanged warehouse) and the 1 % change
  (`mutate_sample_warehouse`) run on the initial sync's state. The rerun's detail says how many
  unchanged rows the run skipped by their source fingerprint (the report's `skipped`), when it
  reports any. The expected count is the number of mobiles whose winning payload differs before and
  after the change, computed from the transform apart from the pipeline's SQL.
- **7 memory**: the initial sync's peak RSS ÷ that of an initial sync of a tenth of the rows (its
  own warehouse, state and emptied emulator, same chunk and batch sizes).
- **8 transform**: `transform_chunk` (the transform stage without Prefect) over the large warehouse's
  pages, vs `phonenumbers.parse`, `is_valid_number` and `format_number` over the same (phone,
  country) values; best of two each, in the harness's own process.
- **9 unchanged throughput**: the rerun's rows read ÷ its `extract` stage's seconds (the report's
  `stage_seconds`: reading, fingerprinting and comparing every row, transforming and staging the rest), vs
  `pandas.read_sql("SELECT * FROM contacts ORDER BY id", chunksize=chunk)` through SQLAlchemy over the
  same warehouse, in the harness's own process, right after the rerun. The whole rerun's rows/s
  (the flow's wall clock, Prefect's fixed cost included) is in the detail.
- **10 bulk backfill**: a first load by CSV uploads (`sakari.load_mode: bulk`, one upload per
  `batch`) of a copy of the large warehouse taken before the 1 % change (the same rows as case 1),
  to an emptied emulator with a fresh state database, created ÷ the flow's wall clock, vs case 1's
  per-contact rate. A CSV cannot assign lists (contacts with lists would be sent one by one, and
  three in four sample rows have some), so this load maps every sample column but `segments`.
- **11 quiet run**: after the 1 % change, two incremental runs (the stored cursor, not a full
  refresh) with reconcile on and its default cadence: the first reads the whole account, since none
  was ever read; the second, with nothing new in the source, is the one measured: every request the
  emulator answered during it, any method and route, the token's aside.

{notes}
"""


_LARGE_TEMPLATE = """\
{start}
## {rows:,} rows

Written by `{command}` on {when}; that run took {seconds:,.0f} s (load average at
its start: {load}). It runs only what these figures need: initial loads of {small:,} and {rows:,}
rows, a no-change full refresh of the large one, and a bare read of its rows. Both initial loads go
through CSV uploads (`sakari.load_mode: bulk`), because one contact at a time (about 2,800 creates/s
on this machine, case 1) would take three times as long; a CSV cannot assign lists, so every
run of this section maps the sample's columns without `segments`. Case 5's ratio is therefore
against a CSV initial load, which is faster than the per-contact one (case 10 above), so its bar is
harder here. Case 7 compares the two initial loads' peaks; case 9 is measured as in the table above.

{table}
{end}"""

"""The benchmark harness end to end at a tiny size: every case runs and reports; no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "1 initial sync",
    "1b CPU per contact",
    "2 vs naive script",
    "3 known limit",
    "4 unknown limit",
    "5 no-change rerun",
    "6 1 % changed",
    "7 memory",
    "8 transform",
    "9 unchanged throughput",
    "10 bulk backfill",
    "11 quiet run",
}
LARGE_CASES = {"5 no-change rerun", "7 memory", "9 unchanged throughput"}


def _bench(*args: str) -> dict[str, Any]:
    """Run `python -m bench ... --json` against the test Prefect server; its JSON result."""
    from prefect.settings import PREFECT_API_URL

    done = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())},
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_bench_at_200_rows_reports_every_figure_and_sends_only_what_changed(
    prefect_server: None, tmp_path: Path
) -> None:
    """`python -m bench --rows 200 --json` runs every case against its own emulator and the test
    Prefect server and writes the Markdown table; its correctness figures hold (a rerun sends
    nothing, a change sends exactly the changed payloads, a quiet run sends no request), keeping
    the notes written by hand. Then `--large 300` writes its own section and leaves the rest."""
    from bench.report import NOTES

    output = tmp_path / "BENCHMARKS.md"
    notes = f"{NOTES[0]}\n## Notes\n\nBefore and after, by hand.\n{NOTES[1]}"
    output.write_text(f"# Benchmarks\n\nAn older table.\n\n{notes}\n", encoding="utf-8")
    result = _bench("--rows", "200", "--output", str(output))
    figures = {(f["case"], f["figure"]): f for f in result["figures"]}
    assert {case for case, _ in figures} == CASES
    assert figures["5 no-change rerun", "creates sent"]["value"] == 0
    assert figures["6 1 % changed", "creates sent − payloads that changed"]["value"] == 0
    quiet = next(f for (case, _), f in figures.items() if case == "11 quiet run")
    assert quiet["value"] == 0
    bulk = result["raw"]["bulk"]["report"]
    assert bulk["load_mode"] == "bulk"
    assert bulk["created"] > 0
    assert result["machine"]["cores"]
    assert result["machine"]["prefect"]
    text = output.read_text(encoding="utf-8")
    assert "| cores |" in text
    assert "| 11 quiet run |" in text
    assert "An older table." not in text
    assert notes in text, "the notes written by hand were kept"
    table = text.split("## Results", 1)[1].split("<!--", 1)[0]

    large = _bench("--large", "300", "--output", str(output))
    assert {f["case"] for f in large["figures"]} == LARGE_CASES
    assert large["raw"]["initial"]["report"]["load_mode"] == "bulk"
    rewritten = output.read_text(encoding="utf-8")
    assert "## 300 rows" in rewritten
    assert "`python -m bench --large 300`" in rewritten
    assert table in rewritten, "the --large run left the main table as it was"
    assert notes in rewritten

"""The benchmark harness end to end at a tiny size: every case runs and reports; no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "1 initial sync",
    "2 vs naive script",
    "3 known limit",
    "4 unknown limit",
    "5 no-change rerun",
    "6 1 % changed",
    "7 memory",
    "8 transform",
}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_at_200_rows_reports_every_figure_and_sends_only_what_changed(
    prefect_server: None, tmp_path: Path
) -> None:
    """`python -m bench --rows 200 --json` runs every case against its own emulator and the test
    Prefect server, writes the Markdown table, and its correctness figures hold: a rerun sends
    nothing, a change sends exactly the changed payloads."""
    from prefect.settings import PREFECT_API_URL

    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--rows", "200", "--json", "--output", str(output)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())},
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    figures = {(f["case"], f["figure"]): f for f in result["figures"]}
    assert {case for case, _ in figures} == CASES
    assert figures["5 no-change rerun", "creates sent"]["value"] == 0
    assert figures["6 1 % changed", "creates sent − payloads that changed"]["value"] == 0
    assert result["machine"]["cores"]
    assert result["machine"]["prefect"]
    text = output.read_text(encoding="utf-8")
    assert "| cores |" in text
    assert "| 8 transform |" in text

"""Watching a long run while it runs, as a data engineer does: the Prefect API (what the UI shows) has
log lines with counts and a progress artifact with counts, rate and ETA before the run ends, and runs
have names that tell them apart."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from pathlib import Path

import pytest

from tests.reliability.support import CliRun, cli_env, creates, sample_params, set_faults, write_config
from tests.support.emulator import Emulator
from tests.support.prefect_api import RunView, read_run

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]


async def runs_since(since: dt.datetime) -> list[tuple[str, str]]:
    """(id, name) of the flow runs started since then."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since))
        )
    return [(str(r.id), r.name) for r in runs]


def test_a_long_run_tells_its_story_in_the_logs_and_progress_artifacts_while_it_runs(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """Mid-load, the run's Logs show each stage's counts and the load's progress artifact shows
    contacts sent of the total with a rate and an ETA; a second run gets a name of its own."""
    params = sample_params(tmp_path, sakari_block, list_ids, rows=2500, chunk_size=500, max_in_flight=4)
    params = params.model_copy(update={"sakari": params.sakari.model_copy(update={"batch_size": 100})})
    set_faults(emulator, latency=0.05)  # about 80 creates a second: a load of half a minute
    since = dt.datetime.now(dt.UTC)
    run = CliRun(write_config(params, tmp_path / "sync.yaml"), cli_env(api_url, tmp_path))
    deadline = time.monotonic() + 120
    while creates(emulator) < 600:
        assert run.proc.poll() is None, run.stderr()
        assert time.monotonic() < deadline, "the load never got going"
        time.sleep(0.5)
    [(run_id, _)] = asyncio.run(runs_since(since))
    view = RunView("", "", "", "")
    while time.monotonic() < deadline:  # logs and artifacts reach the server every couple of seconds
        view = asyncio.run(read_run(run_id))
        if any(line.startswith("load: ") for line in view.logs) and any("load" in p for p in view.progress):
            break
        time.sleep(1)
    assert run.proc.poll() is None, "all of this was read while the run was still running"
    assert view.state_type == "RUNNING"
    extract = [line for line in view.logs if line.startswith("extract: ")]
    assert extract, view.logs
    assert re.search(
        r"extract: [\d,]+ of [\d,]+ rows, .*\(valid [\d,]+, rejected [\d,]+\), done in", extract[-1]
    )
    load = [line for line in view.logs if line.startswith("load: ")]
    assert re.search(r"load: [\d,]+ of [\d,]+ contacts, [\d,]+/s, ETA \d", load[-1]), load[-1]
    [progress] = [p for p in view.progress if p.startswith("load: ")][-1:]
    assert re.search(r"of [\d,]+ contacts, [\d,]+/s, ETA", progress), progress
    set_faults(emulator, latency=0.0)
    assert run.wait() == 0, run.stderr()
    again = CliRun(write_config(params, tmp_path / "again.yaml"), cli_env(api_url, tmp_path), "again")
    assert again.wait() == 0, again.stderr()
    names = [name for _, name in asyncio.run(runs_since(since))]
    assert len(set(names)) == 2, names
    assert all(name.startswith("reliability-sync-") for name in names), names

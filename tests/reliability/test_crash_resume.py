"""Crash and resume, and two runs at once, with `sakari-sync run` as a real process.

The process is killed (SIGKILL: no cleanup, no `finally`) during extract, during load and during
reconcile. The lock it leaves names a pid that no longer exists on this host, so the next run takes it
over; that run leaves Sakari exactly as an uninterrupted run does (every winner of the transform, with
its fields), re-sending at most the two batches that were in flight. The emulator's latency makes the
load and the read-back slow enough to be caught; the test polls the state database and the
emulator's counters to choose the moment.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sakari_sync.config import SyncParameters
from tests.reliability.support import (
    CliRun,
    cli_env,
    count_requests,
    creates,
    differences,
    expected_state,
    ledger_statuses,
    run_sync,
    sakari_contacts,
    sample_params,
    set_faults,
    state_rows,
    write_config,
)
from tests.support.emulator import Emulator
from tests.support.prefect_api import read_run

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

ROWS = 400
BATCH = 40


def crash_params(
    tmp_path: Path, block: str, list_ids: dict[str, str], chunk_size: int = 1000, **sakari: object
) -> SyncParameters:
    """A sample warehouse of ROWS contacts, loaded in batches of BATCH."""
    return sample_params(
        tmp_path, block, list_ids, rows=ROWS, chunk_size=chunk_size, batch_size=BATCH, **sakari
    )


def kill_when(run: CliRun, ready: Callable[[], bool], moment: str) -> None:
    """Poll until `ready()`, then SIGKILL the process and reap it (a zombie's pid would still exist)."""
    deadline = time.monotonic() + 120
    while not ready():
        if run.proc.poll() is not None:
            pytest.fail(f"the run ended ({run.proc.returncode}) before {moment}:\n{run.stderr()[-3000:]}")
        if time.monotonic() > deadline:
            run.proc.kill()
            run.wait()
            pytest.fail(f"timed out waiting for {moment}")
        time.sleep(0.02)
    run.proc.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL


def staged_rows(params: SyncParameters) -> int:
    rows = state_rows(params, "SELECT count(*) FROM sakari_staging")
    return int(rows[0][0]) if rows else 0


def assert_like_an_uninterrupted_run(expected: dict[str, dict[str, object]], emulator: Emulator) -> None:
    diff = differences(expected, sakari_contacts(emulator))
    assert not any(diff.values()), {k: v[:5] for k, v in diff.items()}


def test_killed_during_extract_the_next_run_sends_everything_once(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """A run killed while staging pages sent nothing; the next run sends every contact exactly once."""
    params = crash_params(tmp_path, sakari_block, list_ids, chunk_size=50)  # eight pages to read
    expected = expected_state(params)
    run = CliRun(write_config(params, tmp_path / "sync.yaml"), cli_env(api_url, tmp_path))
    kill_when(run, lambda: staged_rows(params) > 0, "a page was staged")
    assert creates(emulator) == 0, "killed before the load began"
    report = run_sync(params)
    assert_like_an_uninterrupted_run(expected, emulator)
    assert creates(emulator) == len(expected), "nothing was sent twice"
    assert report.accounted() == report.extracted == ROWS


def test_killed_during_load_the_next_run_resends_at_most_the_batches_in_flight(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """Killed mid-load: the next run takes the lock, marks the dead run crashed, resends at most 2 batches."""
    params = crash_params(tmp_path, sakari_block, list_ids, max_in_flight=16)
    expected = expected_state(params)
    set_faults(emulator, latency=0.3)  # about 50 creates a second
    run = CliRun(write_config(params, tmp_path / "sync.yaml"), cli_env(api_url, tmp_path))
    kill_when(run, lambda: creates(emulator) >= 3 * BATCH, "three batches were sent")
    assert creates(emulator) < len(expected), "killed before the load ended"
    assert ledger_statuses(params)["synced"] >= BATCH, "finished batches were recorded before the kill"
    [(_, dead_flow_run)] = state_rows(params, "SELECT run_id, flow_run_id FROM sakari_locks")
    set_faults(emulator, latency=0.0)
    report = run_sync(params)
    assert_like_an_uninterrupted_run(expected, emulator)
    dead = asyncio.run(read_run(dead_flow_run))
    assert dead.state_type == "CRASHED", "the killed run does not stay Running for ever"
    assert f"run {report.run_id} took over its lock" in dead.message
    resent = creates(emulator) - len(expected)
    assert 0 <= resent <= 2 * BATCH, f"{resent} creates sent twice; at most two batches were in flight"
    assert report.created + report.unchanged == len(expected)
    assert report.accounted() == report.extracted == ROWS


def test_killed_during_reconcile_the_next_run_sends_nothing_again(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """Killed in the read-back: outcomes kept, cursor unmoved; the next run sends nothing again."""
    params = crash_params(tmp_path, sakari_block, list_ids, max_in_flight=64)
    expected = expected_state(params)
    set_faults(emulator, latency=0.3)  # the read-back lists a page every 0.3 s
    run = CliRun(write_config(params, tmp_path / "sync.yaml"), cli_env(api_url, tmp_path))
    kill_when(run, lambda: count_requests(emulator, "GET", status=200) >= 1, "the read-back began")
    assert creates(emulator) == len(expected), "killed after the load"
    assert ledger_statuses(params)["synced"] == len(expected), "every outcome was recorded before the kill"
    assert state_rows(params, "SELECT cursor FROM sakari_syncs WHERE cursor IS NOT NULL") == [], (
        "the cursor did not move"
    )
    set_faults(emulator, latency=0.0)
    report = run_sync(params)
    assert_like_an_uninterrupted_run(expected, emulator)
    assert creates(emulator) == len(expected), "nothing was sent twice"
    assert (report.created, report.unchanged) == (0, len(expected))
    assert report.reconcile is not None
    assert report.reconcile["missing"] == 0


def test_a_second_run_of_the_same_sync_exits_with_one_line_and_nothing_is_sent_twice(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """A second run of a sync already running exits 2 with one stderr line; no contact is sent twice."""
    params = sample_params(tmp_path, sakari_block, list_ids, rows=150, max_in_flight=2)
    expected = expected_state(params)
    config = write_config(params, tmp_path / "sync.yaml")
    set_faults(emulator, latency=1.0)  # the first run holds the lock until the test lets it go
    first = CliRun(config, cli_env(api_url, tmp_path), "first")
    deadline = time.monotonic() + 120
    while not state_rows(params, "SELECT run_id FROM sakari_locks") or creates(emulator) == 0:
        assert first.proc.poll() is None, first.stderr()
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    second = CliRun(config, cli_env(api_url, tmp_path), "second")
    assert second.wait() == 2
    assert first.proc.poll() is None, "the first run was still running when the second gave up"
    set_faults(emulator, latency=0.0)
    assert first.wait() == 0, first.stderr()
    lines = second.stderr().splitlines()
    assert lines[0].startswith("sakari-sync: sync 'reliability' is already running (run ")
    assert lines[0].endswith("wait for it to finish, or stop it first")
    assert len(lines) <= 2, "the line, and where the debug log is"
    assert "Traceback" not in second.stderr()
    assert second.stdout() == ""
    assert creates(emulator) == len(expected), "nothing was sent twice"

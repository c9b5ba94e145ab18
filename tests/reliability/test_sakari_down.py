"""Sakari down for a whole run: the run stops clearly after its retry budget instead of retrying every
contact for minutes; the ledger marks what it tried as failed and leaves the rest pending; the cursor
does not move; and the next healthy run sends every contact."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sakari_sync.errors import SakariUnavailableError
from sakari_sync.stages.breaker import FAILURES_TO_TRIP
from tests.reliability.support import (
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
)
from tests.support.credentials import DEMO_ACCOUNT_ID
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")

BATCH = 50
ATTEMPTS = 2


def test_sakari_down_stops_the_run_after_its_retry_budget_and_the_next_run_sends_everything(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str]
) -> None:
    """Sakari failing every request: the run stops within its retry budget; the next run sends everything."""
    params = sample_params(
        tmp_path,
        sakari_block,
        list_ids,
        rows=300,
        batch_size=BATCH,
        retry_attempts=ATTEMPTS,
        retry_timeout=2.0,
    )
    expected = expected_state(params)
    set_faults(emulator, error_rate=1.0)
    started = time.monotonic()
    with pytest.raises(SakariUnavailableError) as stopped:
        run_sync(params)
    took = time.monotonic() - started
    message = str(stopped.value)
    assert message.startswith(f"Sakari at {emulator.url}/accounts/{DEMO_ACCOUNT_ID} kept failing ("), message
    assert "stay pending for the next run: check that Sakari is up and reachable, then run again" in message
    assert took < 30, f"the run took {took:.0f} s to give up"
    tried = count_requests(emulator, "POST")
    assert tried <= 2 * BATCH * ATTEMPTS, "the load stopped instead of trying every contact"
    statuses = ledger_statuses(params)
    assert set(statuses) == {"failed"}, statuses
    assert FAILURES_TO_TRIP <= statuses["failed"] < len(expected), "the others have no ledger row: pending"
    assert state_rows(params, "SELECT cursor FROM sakari_syncs WHERE cursor IS NOT NULL") == [], (
        "the cursor did not move"
    )
    assert sakari_contacts(emulator) == []

    set_faults(emulator, error_rate=0.0)
    report = run_sync(params)
    assert (report.created, report.failed) == (len(expected), 0)
    assert report.cursor is not None
    assert not any(differences(expected, sakari_contacts(emulator)).values())
    assert creates(emulator) == len(expected)
    assert set(ledger_statuses(params)) == {"synced"}

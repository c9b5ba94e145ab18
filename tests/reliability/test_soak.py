"""Soak: a few thousand contacts through an emulator that fails in every way Sakari can, all at once.

5% of API calls answered 500/503, 2% of writes dropped after they committed, latency with jitter,
tokens that expire every few seconds, and windows in which every call gets 429. Afterwards Sakari holds
every valid contact exactly once with the right fields, and the report accounts for every source row.
The figures (contacts, faults injected by kind, duplicates, lost) are shown only if the test fails,
and recorded as the test-suite property `soak` (`pytest --junitxml=FILE`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.support import (
    differences,
    emulator_stats,
    expected_state,
    run_sync,
    sakari_contacts,
    sample_params,
    set_faults,
)
from tests.support.emulator import Emulator

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

ROWS = 2000
FAULTS = {
    "error_rate": 0.05,
    "drop_rate": 0.02,
    "latency": 0.002,
    "latency_jitter": 0.002,
    "token_ttl": 3.0,
    "throttle_burst_every": 2.0,  # a burst every 2 s: the run takes about 5 s
    "throttle_burst_length": 0.3,
}


def injected(stats: dict[str, Any]) -> dict[str, int]:
    """Faults the emulator injected, by kind, from its request statistics."""
    by_status: Counter[int] = Counter()
    for r in stats["requests"]:
        by_status[r["status"]] += r["count"]
    tokens = sum(
        r["count"] for r in stats["requests"] if r["route"] == "/oauth2/token" and r["status"] == 200
    )
    return {
        "500": by_status[500],
        "503": by_status[503],
        "429": by_status[429],
        "dropped after commit": int(stats.get("dropped", 0)),
        "tokens issued (each expires after 3 s)": tokens,
        "401 (token expired in flight)": by_status[401],
        "requests": int(stats["total"]),
    }


def test_soak_every_valid_contact_lands_exactly_once_through_every_fault(
    tmp_path: Path,
    emulator: Emulator,
    sakari_block: str,
    list_ids: dict[str, str],
    record_testsuite_property: Callable[[str, object], None],
) -> None:
    """Through 500s, 503s, 429s, drops and expiring tokens at once, every valid contact lands exactly once."""
    params = sample_params(tmp_path, sakari_block, list_ids, rows=ROWS, chunk_size=1000, batch_size=250)
    expected = expected_state(params)
    set_faults(emulator, **FAULTS)
    report = run_sync(params)
    contacts = sakari_contacts(emulator)
    diff = differences(expected, contacts)
    figures = {
        "source rows": ROWS,
        "valid contacts": len(expected),
        "in Sakari": len(contacts),
        "faults injected": injected(emulator_stats(emulator)),
        "duplicates": len(diff["duplicates"]),
        "lost": len(diff["lost"]),
        "extra": len(diff["extra"]),
        "wrong fields": len(diff["wrong"]),
        "report": report.model_dump(include={"extracted", "rejected", "created", "failed", "requests"}),
        "client retries seen as 429s": report.throttled,
        "seconds": report.seconds,
    }
    record_testsuite_property("soak", json.dumps(figures))
    shown = json.dumps(figures, indent=1)
    assert not any(diff.values()), shown
    assert report.accounted() == report.extracted == ROWS, shown
    assert (report.created, report.failed) == (len(expected), 0), shown
    faults = figures["faults injected"]
    assert isinstance(faults, dict)
    assert all(faults[kind] > 0 for kind in ("500", "503", "429", "dropped after commit")), shown
    assert faults["tokens issued (each expires after 3 s)"] >= 3, shown

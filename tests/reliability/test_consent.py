"""Consent: a person who sent STOP is never unblocked or re-added to a list, under any mergeStrategy.

The first run after the STOP still sends their changed row: nothing on our side knows of the STOP
yet. Sakari answers that create with `CONT-010`, changes neither the block nor a list membership, and
the run records the opt-out. From then on no sync mode writes to the contact at all: not the load,
whatever changed in the source, not a full refresh, not the reconcile's repairs.

tests/pipeline/test_reconcile_and_plan.py::test_a_blocked_contact_is_never_unblocked pins the
suppressed count and the opt-out row per strategy; this adds the list memberships and the writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from sakari_sync.config import SyncParameters
from tests.pipeline.conftest import BASE, ROWS, write_rows
from tests.reliability.support import count_requests, run_sync, sakari_contacts
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")

FR = "+33612345678"  # row 2: lists newsletter and vip


def writes(emulator: Emulator) -> int:
    """Every create, update and delete Sakari answered."""
    one = "/v1/accounts/{accountId}/contacts/{contactId}"
    return count_requests(emulator, "POST") + sum(count_requests(emulator, m, one) for m in ("PUT", "DELETE"))


def contact(emulator: Emulator, mobile: str) -> dict[str, Any]:
    return next(c for c in sakari_contacts(emulator) if c["mobile"]["number"] == mobile)


@pytest.mark.parametrize("strategy", ["append", "core", "remove"])
def test_a_blocked_contact_joins_no_list_and_gets_no_write_once_known(
    params: SyncParameters, emulator: Emulator, strategy: str
) -> None:
    """A contact blocked by STOP joins no new list; once the sync knows the opt-out it sends it nothing."""
    params = params.model_copy(
        update={
            "source": params.source.model_copy(update={"chunk_size": 100}),
            "sakari": params.sakari.model_copy(update={"merge_strategy": strategy, "batch_size": 100}),
        }
    )
    run_sync(params)
    httpx.post(f"{emulator.url}/_emulator/block", json={"mobile": FR}).raise_for_status()
    stopped = contact(emulator, FR)
    assert {item["name"] for item in stopped["lists"]} == {"newsletter", "vip"}
    assert all(item.get("optOut") for item in stopped["lists"])

    change_row(params, first_name="Changed", segments="newsletter,vip,beta")  # a list it never joined
    sent = writes(emulator)
    first = run_sync(params)  # learns of the STOP from Sakari's answer; then reconcile, repair on
    assert writes(emulator) == sent + 1, "only the create that Sakari answered with CONT-010"
    assert first.suppressed == 1
    assert_still_blocked_in_the_same_lists(contact(emulator, FR), stopped)

    change_row(params, first_name="Again", segments="sms-promos", days=2)
    sent = writes(emulator)
    again = run_sync(params.model_copy(update={"full_refresh": True}))
    assert again.suppressed == 1
    assert again.reconcile is not None
    assert (again.reconcile["blocked"], again.reconcile["repaired"]) == (1, 0)
    assert writes(emulator) == sent, "a known opt-out gets no request at all"
    assert_still_blocked_in_the_same_lists(contact(emulator, FR), stopped)
    assert contact(emulator, FR)["firstName"] != "Again"


def change_row(params: SyncParameters, *, days: int = 1, **cells: str) -> None:
    rows = [dict(r) for r in ROWS]
    rows[1] |= cells | {"updated_at": BASE + dt.timedelta(days=days)}
    write_rows(params.source.url or "", rows)


def assert_still_blocked_in_the_same_lists(now: dict[str, Any], stopped: dict[str, Any]) -> None:
    assert now["blocked"] == stopped["blocked"]
    assert now["lists"] == stopped["lists"], "no list joined, none left, every opt-out kept"

"""How much reconcile reads back, counted at the emulator over HTTP with a real Prefect server: nothing
after a run that touched nothing, a GET per touched contact after a small change, the whole account
on the user's cadence and in `reconcile-contacts`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sakari_client.models import ContactIn, MobileIn
from sakari_sync.config import SyncParameters
from sakari_sync.flows.sync import reconcile_contacts, sync_contacts
from sakari_sync.stages.report import SyncReport
from sakari_sync.state.syncs import read_full_reconcile_at, write_full_reconcile_at
from tests.pipeline.conftest import write_rows
from tests.reconcile.conftest import CONTACTS, warehouse_rows
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")

LIST = ("GET", "/v1/accounts/{accountId}/contacts")
GET = ("GET", "/v1/accounts/{accountId}/contacts/{contactId}")
PAGES = -(-CONTACTS // 100)


def run(params: SyncParameters) -> SyncReport:
    report: SyncReport = asyncio.run(sync_contacts(params=params))
    return report


def requests(emulator: Emulator) -> Counter[tuple[str, str]]:
    """Requests the emulator has answered so far, by method and route (the token route included)."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in httpx.get(f"{emulator.url}/_emulator/stats").json()["requests"]:
        counts[(row["method"], row["route"])] += row["count"]
    return counts


def sent_during(emulator: Emulator, action: Any) -> tuple[Any, Counter[tuple[str, str]]]:
    """What `action()` returns, and the requests Sakari received meanwhile."""
    before = requests(emulator)
    result = action()
    return result, requests(emulator) - before


def with_cadence(params: SyncParameters, hours: float | None) -> SyncParameters:
    return params.model_copy(
        update={"reconcile": params.reconcile.model_copy(update={"full_read_every_hours": hours})}
    )


def full_read_at(params: SyncParameters) -> dt.datetime | None:
    return read_full_reconcile_at(sa.create_engine(params.state_url), params.scope)


def test_a_no_change_incremental_rerun_sends_no_request_at_all(
    big: SyncParameters, emulator: Emulator
) -> None:
    """Bar 11: nothing changed, reconcile on: not a read, not a count, not even a token."""
    first = run(big)
    assert first.created == CONTACTS
    assert first.reconcile is not None
    assert first.reconcile["scope"] == "account", "the first run reads the whole account"
    report, sent = sent_during(emulator, lambda: run(big))
    assert report.mode == "incremental"
    assert report.created + report.updated == 0
    assert sum(sent.values()) == 0, f"sent {dict(sent)}"
    assert report.reconcile is not None
    assert (report.reconcile["scope"], report.reconcile["requests"]) == ("none", 0)
    assert report.reconcile["next_full_read"] is not None


def test_a_run_that_changes_three_contacts_reads_back_those_three(
    big: SyncParameters, emulator: Emulator
) -> None:
    """Three updated of 450: three GETs, no listing, no count; what they find is reported."""
    run(big)
    write_rows(big.source.url or "", warehouse_rows(edited={7: "Seven", 70: "Seventy", 300: "Three"}))
    report, sent = sent_during(emulator, lambda: run(big))
    assert report.updated == 3
    assert (sent[GET], sent[LIST]) == (3, 0)
    assert report.reconcile is not None
    assert report.reconcile | {"next_full_read": None} == {
        "scope": "touched",
        "mode": "get",
        "checked": 3,
        "requests": 3,
        "missing": 0,
        "drifted": 0,
        "blocked": 0,
        "extra": 0,
        "repaired": 0,
        "next_full_read": None,
    }


def test_a_full_read_runs_when_the_cadence_is_due_and_its_time_is_stored(
    big: SyncParameters, emulator
) -> None:
    """Once the hours have passed, a run that touched nothing lists the whole account and stores when."""
    run(big)
    first = full_read_at(big)
    assert first is not None
    engine = sa.create_engine(big.state_url)
    write_full_reconcile_at(engine, big.scope, first - dt.timedelta(hours=25))
    report, sent = sent_during(emulator, lambda: run(big))
    assert (sent[LIST], sent[GET]) == (PAGES, 0)
    assert report.reconcile is not None
    assert (report.reconcile["scope"], report.reconcile["checked"]) == ("account", CONTACTS)
    stored = full_read_at(big)
    assert stored is not None
    assert stored > first
    assert report.reconcile["next_full_read"] == (stored + dt.timedelta(hours=23)).isoformat(
        timespec="seconds"
    ), "24 hours on, less an hour's grace"
    _, sent = sent_during(emulator, lambda: run(big))
    assert sum(sent.values()) == 0, "not due again for a day"


def test_a_cadence_of_zero_reads_the_whole_account_every_run(big: SyncParameters, emulator: Emulator) -> None:
    """0 hours: every run lists the account, even one that changed nothing."""
    every = with_cadence(big, 0)
    run(every)
    report, sent = sent_during(emulator, lambda: run(every))
    assert (sent[LIST], report.reconcile and report.reconcile["scope"]) == (PAGES, "account")


async def edit_in_sakari(emulator: Emulator, delete: str, add: str) -> None:
    """Delete one contact and add another through the API, as a person using Sakari's app would."""
    async with emulator.client() as client:
        found = await client.find_by_mobile(delete)
        assert found is not None
        await client.delete_contact(found.id or "")
        await client.create_contact(ContactIn(mobile=MobileIn(number=add), firstName="Walk-in"))


def test_reconcile_contacts_reads_the_whole_account_and_finds_what_runs_cannot(
    big: SyncParameters, emulator
) -> None:
    """A contact deleted in Sakari and one added there go unseen by runs that touch nothing;
    `reconcile-contacts` lists the account (cadence or not), recreates the first, reports the second."""
    never = with_cadence(big, None)
    run(never)
    first = full_read_at(never)
    gone = "+14155551010"
    asyncio.run(edit_in_sakari(emulator, delete=gone, add="+14155559999"))
    quiet = run(never)
    assert quiet.reconcile is not None
    assert (quiet.reconcile["scope"], quiet.reconcile["missing"]) == ("none", 0)
    found, sent = sent_during(emulator, lambda: asyncio.run(reconcile_contacts(params=never)))
    assert sent[LIST] == PAGES
    assert (found["scope"], found["mode"]) == ("account", "list")
    assert (found["missing"], found["repaired"], found["extra"]) == (1, 1, 1)
    assert found["next_full_read"] is None, "no cadence: only reconcile-contacts reads the account"
    assert gone in {c["mobile"]["number"] for c in httpx.get(f"{emulator.url}/_emulator/contacts").json()}
    assert first is not None
    assert (full_read_at(never) or first) > first, "the time of the full read is stored"

"""Bulk backfill through Sakari's CSV import: same outcomes and ledger as the per-contact path."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from sakari_sync.config import ListMapping, SyncParameters
from sakari_sync.errors import ContactsPendingError
from sakari_sync.flows.sync import sync_contacts
from sakari_sync.stages.report import SyncReport
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")


def run(params: SyncParameters, **kwargs: Any) -> SyncReport:
    report: SyncReport = asyncio.run(sync_contacts(params=params, **kwargs))
    return report


def bulk(params: SyncParameters) -> SyncParameters:
    return params.model_copy(
        update={"sakari": params.sakari.model_copy(update={"load_mode": "bulk", "batch_size": 10})}
    )


def test_a_bulk_backfill_lands_the_same_contacts_with_per_row_outcomes(
    params: SyncParameters, emulator: Emulator
) -> None:
    """Bulk mode lands the same contacts in three CSV requests; a full refresh then finds no drift."""
    report = run(bulk(params))
    assert report.load_mode == "bulk"
    assert (report.created, report.updated, report.rejected) == (4, 0, 3)
    contacts = {c["mobile"]["number"]: c for c in httpx.get(f"{emulator.url}/_emulator/contacts").json()}
    assert contacts["+447400123456"]["attributes"]["signupDate"] == "2023-01-09"
    assert {lst["name"] for lst in contacts["+33612345678"]["lists"]} == {"newsletter", "vip"}
    stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    posts = sum(
        r["count"] for r in stats["requests"] if r["method"] == "POST" and r["route"].endswith("/contacts")
    )
    assert posts == 3, "one CSV request for the two contacts without lists, one each for the two with lists"
    again = run(bulk(params).model_copy(update={"full_refresh": True}))
    assert again.created + again.updated == 0
    assert again.unchanged == 4
    assert again.reconcile is not None
    assert again.reconcile["drifted"] == 0, "attributes read back as CSV text are not drift"


def test_an_answer_that_cannot_be_matched_row_by_row_is_confirmed_by_reading_back(
    params: SyncParameters, emulator: Emulator
) -> None:
    """Sakari's older answer shape (row-less, Contact-shaped errors) never puts a contact under another
    row's outcome: every contact is read back by mobile, and a refused row stays refused."""
    httpx.patch(f"{emulator.url}/_emulator/styles", json={"bulk_answer_style": "openapi"}).raise_for_status()
    rule = {"mobile": "+447400123456", "status": 400, "code": "CONT-001", "message": "Invalid mobile number"}
    httpx.post(f"{emulator.url}/_emulator/rules", json=rule).raise_for_status()
    no_lists = params.model_copy(
        update={"mapping": params.mapping.model_copy(update={"lists": ListMapping()})}
    )
    with pytest.raises(ContactsPendingError) as pending:
        run(bulk(no_lists))
    report = pending.value.report
    assert isinstance(report, SyncReport)
    assert (report.created, report.failed, report.pending) == (3, 0, 1)
    assert report.rejected_by_reason.get("sakari:CONT-001") == 1
    held = {c["mobile"]["number"] for c in httpx.get(f"{emulator.url}/_emulator/contacts").json()}
    assert "+447400123456" not in held
    assert len(held) == 3

"""The whole sync-contacts flow against the emulator over HTTP, on a real Prefect server."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from sakari_sync.config import SyncParameters
from sakari_sync.flows.sync import sync_contacts
from sakari_sync.stages.report import SyncReport
from tests.pipeline.conftest import BASE, ROWS, write_rows
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")


def run(params: SyncParameters, **kwargs: Any) -> SyncReport:
    report: SyncReport = asyncio.run(sync_contacts(params=params, **kwargs))
    return report


def creates_sent(emulator: Emulator) -> int:
    stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    return sum(r["count"] for r in stats["requests"] if r["method"] == "POST" and "contacts" in r["route"])


def contacts_in_sakari(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {c["mobile"]["number"]: c for c in httpx.get(f"{emulator.url}/_emulator/contacts").json()}


def test_first_run_sends_valid_winners_and_rejects_the_rest(
    params: SyncParameters, emulator: Emulator
) -> None:
    """A first run creates the 4 valid winners with lists and attributes, and rejects 3 rows by reason."""
    report = run(params)
    assert (report.extracted, report.created, report.updated, report.unchanged) == (7, 4, 0, 0)
    assert report.rejected_by_reason == {"duplicate_mobile": 1, "missing_phone": 1, "invalid_phone": 1}
    assert report.accounted() == report.extracted
    sakari = contacts_in_sakari(emulator)
    assert set(sakari) == {"+14155552671", "+33612345678", "+447400123456", "+4915123456789"}
    assert sakari["+14155552671"]["lastName"] == "Again", "the later cursor value wins a shared mobile"
    assert {lst["name"] for lst in sakari["+33612345678"]["lists"]} == {"newsletter", "vip"}
    assert sakari["+447400123456"]["attributes"]["signupDate"] == "2023-01-09"


def test_rerun_without_change_sends_nothing(params: SyncParameters, emulator: Emulator) -> None:
    """A full refresh of an unchanged source sends no create or update and counts everything unchanged."""
    first = run(params)
    sent = creates_sent(emulator)
    second = run(params.model_copy(update={"full_refresh": True}))
    assert creates_sent(emulator) == sent
    assert second.created + second.updated == 0
    assert second.unchanged == first.created + first.updated


def test_changes_new_rows_invalid_rows_and_blocked_contacts(
    params: SyncParameters, emulator: Emulator
) -> None:
    """Incremental run: changed row updated, new row created, bad row rejected, blocked contact suppressed."""
    run(params)
    httpx.post(f"{emulator.url}/_emulator/block", json={"mobile": "+4915123456789"}).raise_for_status()
    rows = [dict(r) for r in ROWS]
    rows[1]["last_name"] = "Zola-Changed"  # an update
    rows[2]["phone"] = "not a phone"  # turned invalid
    rows[6]["first_name"] = "Kwame"  # blocked in Sakari: must be suppressed, never unblocked
    rows.append(
        {
            "id": 8,
            "first_name": "New",
            "last_name": "Person",
            "email": "new@example.com",
            "phone": "+61 412 345 678",
            "country": "AU",
            "segments": None,
            "signup_date": None,
        }
    )
    for r in (rows[1], rows[2], rows[6], rows[7]):
        r["updated_at"] = BASE + dt.timedelta(days=1)
    write_rows(params.source.url or "", rows)
    report = run(params)
    assert report.mode == "incremental"
    assert report.extracted == 4
    assert report.updated == 1
    assert report.created == 1
    assert report.suppressed == 1
    assert (
        report.rejected_by_reason.get("unparseable_phone", 0)
        + report.rejected_by_reason.get("invalid_phone", 0)
        >= 1
    )
    sakari = contacts_in_sakari(emulator)
    assert sakari["+33612345678"]["lastName"] == "Zola-Changed"
    assert sakari["+4915123456789"]["blocked"], "a blocked contact stays blocked"
    again = run(params.model_copy(update={"full_refresh": True}))
    assert again.suppressed == 1
    assert again.created + again.updated == 0


async def _server_view(flow_run_id: str) -> tuple[set[str], set[str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
    )

    async with get_client() as client:
        tasks = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {t.name.rsplit("-", 1)[0] for t in tasks}, {a.key for a in artifacts if a.key}


def test_the_run_its_task_runs_and_artifacts_are_on_the_server(params: SyncParameters) -> None:
    """The flow run, its stage task runs and its summary, rejects and reconcile artifacts reach the server."""
    import time

    report = run(params)
    assert report.flow_run_url is not None
    flow_run_id = report.flow_run_url.rsplit("/", 1)[-1]
    stages = {"extract-page", "transform-page", "stage-page", "load-batch", "reconcile"}
    deadline = time.monotonic() + 30  # task runs reach the server as events, a moment later
    while True:
        task_names, artifact_keys = asyncio.run(_server_view(flow_run_id))
        if stages <= task_names or time.monotonic() > deadline:  # wait for every one asserted below
            break
        time.sleep(1)
    assert stages <= task_names
    assert {"sakari-sync-summary", "sakari-sync-rejects", "sakari-reconcile-summary"} <= artifact_keys

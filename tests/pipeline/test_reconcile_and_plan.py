"""Reconcile (read-back, repair, opt-outs) and the dry-run plan, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sakari_client.models import ContactIn, MobileIn
from sakari_sync.config import SyncParameters
from sakari_sync.flows.sync import reconcile_contacts, sync_contacts
from sakari_sync.stages.report import SyncReport
from tests.pipeline.conftest import BASE, ROWS, write_rows
from tests.support.emulator import Emulator

pytestmark = pytest.mark.usefixtures("prefect_server")

FR = "+33612345678"


def run(params: SyncParameters, **kwargs: Any) -> SyncReport:
    report: SyncReport = asyncio.run(sync_contacts(params=params, **kwargs))
    return report


def sakari(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {c["mobile"]["number"]: c for c in httpx.get(f"{emulator.url}/_emulator/contacts").json()}


def writes(emulator: Emulator) -> int:
    stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    return sum(
        r["count"]
        for r in stats["requests"]
        if r["method"] in {"POST", "PUT", "DELETE"} and r["route"].startswith("/v1/")
    )


async def as_someone_in_sakari(emulator: Emulator, action: str, mobile: str) -> None:
    """Edit or delete a contact through the API, as a person using Sakari's app would."""
    async with emulator.client() as client:
        contact = next(
            c for c in [c async for c in client.list_contacts()] if c.mobile and c.mobile.number == mobile
        )
        assert contact.id is not None
        if action == "delete":
            await client.delete_contact(contact.id)
        else:
            await client.update_contact(
                contact.id,
                ContactIn(mobile=MobileIn(number=mobile), firstName="Edited", lastName=contact.lastName),
            )


def test_a_contact_deleted_in_sakari_is_recreated(params: SyncParameters, emulator: Emulator) -> None:
    """Reconcile finds a contact deleted in Sakari missing and recreates it with its fields."""
    run(params)
    asyncio.run(as_someone_in_sakari(emulator, "delete", FR))
    assert FR not in sakari(emulator)
    found = asyncio.run(reconcile_contacts(params=params))
    assert found["missing"] == 1
    assert found["repaired"] == 1
    assert sakari(emulator)[FR]["lastName"] == "Zola"


def test_a_contact_edited_in_sakari_is_reported_and_repaired(
    params: SyncParameters, emulator: Emulator
) -> None:
    """A full read on the cadence (0 hours: every run) finds an edit no run touched, and undoes it."""
    params = params.model_copy(
        update={"reconcile": params.reconcile.model_copy(update={"full_read_every_hours": 0})}
    )
    run(params)
    asyncio.run(as_someone_in_sakari(emulator, "edit", FR))
    report = run(params.model_copy(update={"full_refresh": True}))
    assert report.reconcile is not None
    assert report.reconcile["drifted"] == 1
    assert report.reconcile["repaired"] == 1
    assert sakari(emulator)[FR]["firstName"] == "Émile"


@pytest.mark.parametrize("strategy", ["append", "core", "remove"])
def test_a_blocked_contact_is_never_unblocked(
    params: SyncParameters, emulator: Emulator, strategy: str
) -> None:
    """With any merge strategy a contact blocked in Sakari is suppressed, kept as opt-out, never unblocked."""
    params = params.model_copy(
        update={"sakari": params.sakari.model_copy(update={"merge_strategy": strategy})}
    )
    run(params)
    httpx.post(f"{emulator.url}/_emulator/block", json={"mobile": FR}).raise_for_status()
    rows = [dict(r) for r in ROWS]
    rows[1] |= {"first_name": "Changed", "updated_at": BASE + dt.timedelta(days=1)}
    write_rows(params.source.url or "", rows)
    report = run(params)
    assert report.suppressed == 1
    assert sakari(emulator)[FR]["blocked"]
    engine = sa.create_engine(params.state_url)
    with engine.connect() as conn:
        optouts = conn.execute(sa.text("SELECT mobile, source_key FROM sakari_optouts")).all()
    assert [tuple(r) for r in optouts] == [(FR, "2")]
    again = run(params.model_copy(update={"full_refresh": True}))
    assert again.suppressed == 1
    assert sakari(emulator)[FR]["blocked"]


def test_dry_run_sends_nothing_and_matches_the_next_real_run(
    params: SyncParameters, emulator: Emulator
) -> None:
    """A dry run sends no write, and the creates and updates it plans are what the next real run does."""
    run(params)
    rows = [dict(r) for r in ROWS]
    rows[1] |= {"last_name": "Zola-Planned", "updated_at": BASE + dt.timedelta(days=1)}
    rows.append(
        {
            "id": 9,
            "first_name": "Planned",
            "last_name": "New",
            "email": "p@example.com",
            "phone": "+61 412 345 679",
            "country": "AU",
            "segments": None,
            "signup_date": None,
            "updated_at": BASE + dt.timedelta(days=1),
        }
    )
    write_rows(params.source.url or "", rows)
    before = writes(emulator)
    plan = run(params, dry_run=True)
    assert writes(emulator) == before, "a dry run sends no write"
    assert plan.plan is not None
    planned = {(r["source_key"], r["action"]) for r in plan.plan if not r["action"].startswith("reject")}
    assert planned == {("2", "update"), ("9", "create")}
    assert next(r for r in plan.plan if r["source_key"] == "2")["changed_fields"] == ["lastName"]
    real = run(params)
    engine = sa.create_engine(params.state_url)
    with engine.connect() as conn:
        done = conn.execute(
            sa.text("SELECT source_key, outcome FROM sakari_outcomes WHERE run_id = :r"), {"r": real.run_id}
        ).all()
    assert {(k, {"created": "create", "updated": "update"}[o]) for k, o in done} == planned

"""prefect.yaml deployed to a real server on PostgreSQL, run by a real worker against the emulator."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from sakari_emulator.server import EmulatorServer
from tests.deploy.stack import Stack, wait_until, worker_env
from tests.pipeline.conftest import ROWS, write_rows

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]


def _contacts(emulator: EmulatorServer) -> int:
    return len(httpx.get(f"{emulator.url}/_emulator/contacts").json())


def test_deploy_all_creates_deployments_and_the_trigger_automation(stack: Stack, deployed: Path) -> None:
    """`prefect deploy --all` registers every deployment in prefect.yaml and the event trigger."""
    with stack.api() as api:
        names = {d["name"] for d in api.post("/deployments/filter", json={}).json()}
        automations = [a["name"] for a in api.post("/automations/filter", json={}).json()]
    assert {"nightly", "on-warehouse-update", "weekly-full-read", "shard", "sharded"} <= names
    assert any(a.startswith("on-warehouse-update") for a in automations)


def test_worker_runs_the_deployment_and_publishes_the_summary(
    stack: Stack, deployed: Path, emulator_server: EmulatorServer, alerts: list[dict[str, Any]]
) -> None:
    """A run of sync-contacts/nightly created through the server completes on the worker, with artifacts;
    its rejected share (3 of 7) is over the threshold, so the rejects alert notifies."""
    with stack.api() as api:
        dep = api.get("/deployments/name/sync-contacts/nightly").json()
        run = api.post(f"/deployments/{dep['id']}/create_flow_run", json={}).json()
    finished = stack.wait_for_run(run["id"])
    assert finished["state"]["type"] == "COMPLETED", finished["state"]
    assert "sakari-sync-summary" in stack.artifact_keys(run["id"])
    # 7 rows: no phone, a bad number and a duplicate are rejected; the other four are contacts
    assert _contacts(emulator_server) == 4
    note = wait_until(lambda: _message(alerts, "rejected too many"), 60, stack.home)
    assert "rejected 3 of 7 rows" in note["body"]


def test_failed_run_notifies(stack: Stack, deployed: Path, alerts: list[dict[str, Any]]) -> None:
    """A run that fails (its Sakari block does not exist) sends the failed-run alert."""
    with stack.api() as api:
        dep = api.get("/deployments/name/sync-contacts/nightly").json()
        params = dep["parameters"]["params"] | {"sakari": {"block": "no-such-block"}}
        run = api.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {"params": params}})
    finished = stack.wait_for_run(run.json()["id"])
    assert finished["state"]["type"] == "FAILED"
    note = wait_until(lambda: _message(alerts, "run failed"), 60, stack.home)
    assert finished["name"] in note["subject"]


def _message(messages: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    return next((m for m in messages if text in m.get("subject", "")), None)


def test_warehouse_event_triggers_a_run(
    stack: Stack, deployed: Path, warehouse: str, emulator_server: EmulatorServer
) -> None:
    """Emitting `warehouse.contacts.updated` (POST /api/events) starts a run that loads the new row."""
    new_row = ROWS[2] | {"id": 8, "first_name": "Katherine", "phone": "+1 415 555 0199", "email": "kj@ex.com"}
    write_rows(warehouse, [*ROWS, new_row])
    event = {
        "id": str(uuid.uuid4()),
        "occurred": dt.datetime.now(dt.UTC).isoformat(),
        "event": "warehouse.contacts.updated",
        "resource": {"prefect.resource.id": "warehouse.contacts.crm-export"},
        "payload": {"rows": 8},
    }
    with stack.api() as api:
        assert api.post("/events", json=[event]).status_code == 204
    triggered = "sync-contacts/on-warehouse-update"
    run = wait_until(lambda: next(iter(stack.runs_of(triggered)), None), 90, stack.home)
    finished = stack.wait_for_run(run["id"])
    assert finished["state"]["type"] == "COMPLETED", finished["state"]
    assert _contacts(emulator_server) == 5


def test_sharded_deployment_runs_disjoint_shards_on_two_workers(
    stack: Stack, deployed: Path, emulator_server: EmulatorServer
) -> None:
    """sync-contacts-sharded/sharded runs two shard runs through the pool (two workers) and combines them:
    every source row is in exactly one shard, and the combined report adds up."""
    stack.start_worker("sakari-process", "worker-b", deployed, worker_env(deployed))
    with stack.api() as api:
        dep = api.get("/deployments/name/sync-contacts-sharded/sharded").json()
        run = api.post(f"/deployments/{dep['id']}/create_flow_run", json={}).json()
    finished = stack.wait_for_run(run["id"], timeout=240)
    assert finished["state"]["type"] == "COMPLETED", finished["state"]
    shards = [r for r in stack.runs_of("sync-contacts/shard") if r["parent_task_run_id"]]
    assert len(shards) == 2
    assert all(r["state"]["type"] == "COMPLETED" for r in shards)
    assert "sakari-sync-summary" in stack.artifact_keys(run["id"])
    summary = _summary(stack, run["id"])
    assert summary["extracted"] == 8  # all rows, each counted by exactly one shard
    assert summary["extracted"] == sum(v for k, v in summary.items() if k != "extracted")
    assert _contacts(emulator_server) == 5  # the shards found what the earlier runs sent: same contacts


def _summary(stack: Stack, run_id: str) -> dict[str, int]:
    body = {"artifacts": {"flow_run_id": {"any_": [run_id]}, "key": {"any_": ["sakari-sync-summary"]}}}
    with stack.api() as api:
        artifact = api.post("/artifacts/filter", json=body).json()[0]
    data = artifact["data"]
    rows = json.loads(data) if isinstance(data, str) else data
    return {r["outcome"]: r["contacts"] for r in rows}

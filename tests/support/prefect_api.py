"""What the Prefect server shows of a flow run, read back through its API the way the UI reads it:
the run's state, its log lines, its artifacts, and the events it emitted."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx


@dataclass
class RunView:
    """One flow run as the UI shows it."""

    name: str
    state_type: str
    state_name: str
    message: str
    logs: list[str] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)  # key -> data (latest version)
    progress: list[str] = field(default_factory=list)  # progress artifacts' descriptions


async def read_run(flow_run_id: str | UUID) -> RunView:
    """The run's state, every log line, and its artifacts by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )

    run_id = UUID(str(flow_run_id))
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
        logs: list[str] = []
        while batch := await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200, offset=len(logs)
        ):
            logs += [log.message for log in batch]
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    state = run.state
    view = RunView(
        name=run.name,
        state_type=state.type.value if state else "",
        state_name=(state.name or "") if state else "",
        message=(state.message or "") if state else "",
        logs=logs,
    )
    for artifact in sorted(artifacts, key=lambda a: a.created or 0):
        if artifact.key:
            view.artifacts[artifact.key] = artifact.data
        if artifact.type == "progress":
            view.progress.append(artifact.description or "")
    return view


def read_run_when(flow_run_id: str | UUID, ready: Any, timeout: float = 60) -> RunView:
    """Read the run until `ready(view)` holds (logs and events reach the server a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        view = asyncio.run(read_run(flow_run_id))
        if ready(view) or time.monotonic() > deadline:
            return view
        time.sleep(1)


def read_events(api_url: str, prefix: str, since: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Events whose name starts with `prefix`, occurred since the ISO time `since` (waits for one)."""
    deadline = time.monotonic() + timeout
    body = {"filter": {"event": {"prefix": [prefix]}, "occurred": {"since": since}}, "limit": 50}
    while True:
        found: list[dict[str, Any]] = httpx.post(f"{api_url}/events/filter", json=body, timeout=10).json()[
            "events"
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(1)


def flow_run_id_of(report: dict[str, Any]) -> str:
    """The flow run id in a report's `flow_run_url`."""
    url = report["flow_run_url"]
    assert url, "the report names its flow run"
    return str(url).rsplit("/", 1)[-1]

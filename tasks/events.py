"""Events a finished sync emits, for automations to match (see docs/deploy.md, "Alerts").

- `sakari.sync.finished` after every run that got as far as its report, with the counts as payload.
- `sakari.sync.rejects-high` as well when the rejected share is above the sync's threshold: Prefect's
  event triggers match event names and resource labels, not payload numbers, so the flow compares.

The resource is `sakari.sync.<state scope>` (e.g. `sakari.sync.contacts.shard-1-of-4`), and the flow run
is a related resource, so a notification can link to it.
"""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event
from prefect.runtime import flow_run

from sakari_sync.stages.report import SyncReport

FINISHED = "sakari.sync.finished"
REJECTS_HIGH = "sakari.sync.rejects-high"


def rejected_share(report: SyncReport) -> float:
    """Rejected rows over extracted rows (0 when nothing was read)."""
    return report.rejected / report.extracted if report.extracted else 0.0


def emit_sync_finished(report: SyncReport, threshold: float) -> None:
    """Emit the finished event, and the rejects-high event when the share exceeds `threshold`."""
    share = rejected_share(report)
    payload: dict[str, Any] = {
        "mode": report.mode,
        "extracted": report.extracted,
        "rejected": report.rejected,
        "rejected_by_reason": dict(report.rejected_by_reason),
        "field_issues_by_reason": dict(report.field_issues_by_reason),
        "rejected_share": round(share, 4),
        "threshold": threshold,
    } | report.outcome_counts()
    resource = {
        "prefect.resource.id": f"sakari.sync.{report.sync_name}",
        "prefect.resource.name": report.sync_name,
    }
    related = []
    if flow_run.id:
        related.append(
            {
                "prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
                "prefect.resource.role": "flow-run",
                "prefect.resource.name": flow_run.name or "",
            }
        )
    emit_event(FINISHED, resource=resource, related=related, payload=payload)
    if share > threshold:
        emit_event(REJECTS_HIGH, resource=resource, related=related, payload=payload)

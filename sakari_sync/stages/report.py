"""The run's report: one object the flow returns, the CLI prints, and the UI shows as artifacts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from pydantic import BaseModel, Field

OUTCOMES = ("created", "updated", "unchanged", "suppressed", "failed")


class SyncReport(BaseModel):
    """Counts for one run. Every extracted row lands in exactly one of: rejected or an outcome."""

    sync_name: str
    run_id: str
    mode: str = Field(description="full, incremental or dry-run")
    load_mode: str = Field("contacts", description="contacts (one request each) or bulk (CSV uploads)")
    extracted: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0
    failed: int = 0
    requests: int = 0
    throttled: int = 0
    learned_rate: float | None = None
    watermark: str | None = None
    seconds: float = 0.0
    flow_run_url: str | None = None
    reconcile: dict[str, Any] | None = Field(None, description="read-back mode and counts per finding")
    plan: list[dict[str, Any]] | None = Field(None, description="dry run: every contact's action")

    def add_outcomes(self, counts: dict[str, int]) -> None:
        for status, n in counts.items():
            if status == "rejected":
                self.rejected += n
                self.rejected_by_reason["sakari_rejected"] = (
                    self.rejected_by_reason.get("sakari_rejected", 0) + n
                )
            else:
                setattr(self, status, getattr(self, status) + n)

    def accounted(self) -> int:
        return self.rejected + sum(int(getattr(self, o)) for o in OUTCOMES)

    def summary_lines(self) -> list[str]:
        lines = [
            f"sync '{self.sync_name}' ({self.mode}, {self.load_mode} load) run {self.run_id}: "
            f"{self.seconds:.1f}s",
            f"  extracted  {self.extracted:>9,}",
            f"  rejected   {self.rejected:>9,}",
        ]
        lines += [f"    {reason:<22}{n:>7,}" for reason, n in sorted(self.rejected_by_reason.items())]
        lines += [f"  {o:<10} {getattr(self, o):>9,}" for o in OUTCOMES]
        lines.append(f"  requests   {self.requests:>9,}  (429s: {self.throttled:,})")
        if self.reconcile:
            found = ", ".join(f"{k} {v}" for k, v in self.reconcile.items() if k != "mode")
            lines.append(f"  reconcile  read back by {self.reconcile['mode']}: {found}")
        return lines


async def publish_summary(report: SyncReport, reject_sample: list[dict[str, Any]]) -> None:
    """The two artifacts a person reads first: the summary table and a sample of rejected rows."""
    table = [{"outcome": "extracted", "contacts": report.extracted}]
    table += [
        {"outcome": f"rejected: {r}", "contacts": n} for r, n in sorted(report.rejected_by_reason.items())
    ]
    table += [{"outcome": o, "contacts": getattr(report, o)} for o in OUTCOMES]
    await acreate_table_artifact(
        table=table,
        key="sakari-sync-summary",
        description=f"Sync '{report.sync_name}' ({report.mode}): what happened to every source row.",
    )
    if reject_sample:
        await acreate_table_artifact(
            table=reject_sample,
            key="sakari-sync-rejects",
            description="A sample of rejected rows with their reasons (phones masked).",
        )


async def publish_markdown(key: str, markdown: str, description: str) -> None:
    await acreate_markdown_artifact(markdown=markdown, key=key, description=description)


class Progress:
    """A progress artifact for the load stage, updated after each batch."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.artifact_id: UUID | None = None

    async def start(self, description: str) -> None:
        self.artifact_id = await acreate_progress_artifact(progress=0.0, description=description)

    async def advance(self, n: int) -> None:
        self.done += n
        if self.artifact_id is not None:
            progress = min(100.0, 100.0 * self.done / self.total)
            await aupdate_progress_artifact(artifact_id=self.artifact_id, progress=progress)


async def publish_plan(report: SyncReport) -> None:
    """A dry run's plan as a table: what a real run would do to each contact."""
    if report.plan is None:
        return
    rows = [r for r in report.plan if r["action"] != "unchanged"][:1000]
    await acreate_table_artifact(
        table=[r | {"changed_fields": ", ".join(r["changed_fields"])} for r in rows]
        or [{"action": "nothing"}],
        key="sakari-sync-plan",
        description=f"Dry run of '{report.sync_name}': nothing was sent (first 1,000 actions).",
    )

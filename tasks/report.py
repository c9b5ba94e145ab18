"""What a run shows in the Prefect UI: a log line per page and batch, a progress artifact per stage
(counts, rate, ETA), the summary table, a stratified sample of rejects, and a dry run's plan."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact, aupdate_progress_artifact
from prefect.logging import get_run_logger

from sakari_sync.progress import StageProgress, publish
from sakari_sync.stages.report import SyncReport

ARTIFACT_EVERY = 2.0  # seconds between progress artifact updates (each is an API call)
SAMPLE_PER_REASON = 5


def describe(progress: StageProgress) -> str:
    """One line for a stage's progress: counts, rate, ETA."""
    total = f" of {progress.total:,}" if progress.total is not None else ""
    parts = [f"{progress.stage}: {progress.done:,}{total} {progress.unit}"]
    if progress.rate is not None:
        parts.append(f"{progress.rate:,.0f}/s")
    if progress.eta is not None:
        parts.append(f"ETA {_duration(progress.eta)}")
    counts = ", ".join(f"{name} {n:,}" for name, n in progress.counts.items() if n)
    line = ", ".join(parts)
    if counts:
        line += f" ({counts})"
    if progress.finished:
        line += f", done in {_duration(progress.elapsed)}"
    return line


def _duration(elapsed: float) -> str:
    seconds = round(elapsed)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class RunProgress:
    """Tells the story of a run as it goes: each update is logged to the run's Logs tab, handed to
    in-process listeners (the command line's display), and shown in the stage's progress artifact."""

    def __init__(self) -> None:
        self.artifacts: dict[str, UUID] = {}
        self.updated: dict[str, float] = defaultdict(float)
        self.seconds: dict[str, float] = {}  # each finished stage's duration, for the report

    async def update(self, progress: StageProgress, *, log: bool = True) -> None:
        """Record one step of a stage (a page, a batch, the end)."""
        line = describe(progress)
        if progress.finished:
            self.seconds[progress.stage] = round(progress.elapsed, 3)
        if log:
            _logger().info(line)
        publish(progress)
        now = time.monotonic()
        if progress.finished or now - self.updated[progress.stage] >= ARTIFACT_EVERY:
            self.updated[progress.stage] = now
            await self._show(progress, line)

    async def _show(self, progress: StageProgress, line: str) -> None:
        share = 100.0 * (
            progress.share if progress.share is not None else (1.0 if progress.finished else 0.0)
        )
        artifact = self.artifacts.get(progress.stage)
        if artifact is None:
            self.artifacts[progress.stage] = await acreate_progress_artifact(progress=share, description=line)
        else:
            await aupdate_progress_artifact(artifact_id=artifact, progress=share, description=line)


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except Exception:  # outside a flow run (a stage called directly): the module's logger
        return logging.getLogger("sakari_sync")


async def publish_summary(report: SyncReport, rejects: list[dict[str, Any]]) -> None:
    """The artifacts a person reads first: the summary table and a sample of rejected rows (`rejects`:
    a few of each reason, from `Staging.sample_rejects`)."""
    table = [{"outcome": "extracted", "contacts": report.extracted}]
    table += [
        {"outcome": f"rejected: {r}", "contacts": n} for r, n in sorted(report.rejected_by_reason.items())
    ]
    table += [{"outcome": name, "contacts": n} for name, n in report.outcome_counts().items()]
    table += [
        {"outcome": f"field left out: {r}", "contacts": n}
        for r, n in sorted(report.field_issues_by_reason.items())
    ]
    await acreate_table_artifact(
        table=table,
        key="sakari-sync-summary",
        description=f"Sync '{report.sync_name}' ({report.mode}): what happened to every source row.",
    )

    def total(row: dict[str, Any]) -> int:
        counts = report.field_issues_by_reason if row.get("kind") == "field" else report.rejected_by_reason
        return counts.get(row["reason"], 0)

    sample = [{"reason": r["reason"], "of reason": total(r)} | r for r in rejects]
    if sample:
        await acreate_table_artifact(
            table=sample,
            key="sakari-sync-rejects",
            description=(
                f"Up to {SAMPLE_PER_REASON} rejected rows of each reason, with the reason's total (phones "
                f"masked). All of them: table sakari_rejects, run_id '{report.run_id}', in the state "
                "database."
            ),
        )


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

"""The run's report: one object the flow returns, the CLI prints, and the UI shows as artifacts.

Every extracted row lands in exactly one place: `rejected` (by the transform, as a duplicate, or by
Sakari, each under its reason) or one of the outcomes `created`, `updated`, `unchanged`,
`suppressed`, `failed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, computed_field

from sakari_sync.outcomes import Outcome
from sakari_sync.stages.load import Loaded

OUTCOMES = ("created", "updated", "unchanged", "suppressed", "failed")


class SyncReport(BaseModel):
    """Counts for one run."""

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
    cursor: str | None = Field(None, description="the cursor stored at the end of the run, if it moved")
    reread: str | None = Field(None, description="why every row was read again, when the settings changed")
    field_issues_by_reason: dict[str, int] = Field(
        default_factory=dict, description="optional fields left out of sent contacts, by reason"
    )
    skipped: int = Field(
        0, description="unchanged rows known by their source fingerprint, not transformed (of unchanged)"
    )
    seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(
        default_factory=dict, description="how long each stage took (extract counts transform and staging)"
    )
    flow_run_url: str | None = None
    reconcile: dict[str, Any] | None = Field(
        None, description="read-back scope, mode, requests, counts per finding, next full read"
    )
    plan: list[dict[str, Any]] | None = Field(None, description="dry run: every contact's action")

    def add_outcomes(self, outcomes: Mapping[Outcome, int], refusals: Mapping[str, int]) -> None:
        """Count contacts by outcome; Sakari's refusals count as rejected, under `sakari:<code>`."""
        self.created += outcomes.get(Outcome.CREATED, 0)
        self.updated += outcomes.get(Outcome.UPDATED, 0)
        self.suppressed += outcomes.get(Outcome.SUPPRESSED, 0)
        self.failed += outcomes.get(Outcome.FAILED, 0)
        self.add_rejects(refusals)

    def add_load(self, loaded: Loaded) -> None:
        """Count what a load did: its contacts by outcome, and the requests it took."""
        self.add_outcomes(loaded.counts.outcomes, loaded.counts.refusals)
        self.requests += loaded.requests
        self.throttled += loaded.throttled
        self.learned_rate = loaded.learned_rate

    def add_rejects(self, by_reason: Mapping[str, int]) -> None:
        """Count rejected rows by reason."""
        for reason, n in by_reason.items():
            self.rejected += n
            self.rejected_by_reason[reason] = self.rejected_by_reason.get(reason, 0) + n

    def outcome_counts(self) -> dict[str, int]:
        """The outcomes by name, in report order."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "suppressed": self.suppressed,
            "failed": self.failed,
        }

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented use on a property
    @property
    def pending(self) -> int:
        """Contacts not delivered: refused by Sakari or not taken; the next run sends them again."""
        refused = sum(n for reason, n in self.rejected_by_reason.items() if reason.startswith("sakari:"))
        return refused + self.failed

    def summary(self) -> str:
        """The run in one line: the final state's message, the last line of the story."""
        parts = [f"{self.extracted:,} rows read"]
        parts += [f"{n:,} {name}" for name, n in self.outcome_counts().items() if n]
        rejected = self.rejected - (self.pending - self.failed)
        if rejected:
            parts.append(f"{rejected:,} rejected")
        if self.pending:
            reasons = ", ".join(
                f"{r} {n:,}" for r, n in sorted(self.rejected_by_reason.items()) if r.startswith("sakari:")
            )
            failed = f"failed {self.failed:,}" if self.failed else ""
            detail = ", ".join(x for x in (reasons, failed) if x)
            parts.append(f"{self.pending:,} pending ({detail}): sent again next run")
        return f"{self.sync_name}: " + ", ".join(parts)

    def accounted(self) -> int:
        """Rows the report places somewhere: equals `extracted` when nothing was lost."""
        return self.rejected + sum(self.outcome_counts().values())

    def summary_lines(self) -> list[str]:
        """The report as the command line prints it."""
        lines = [
            f"sync '{self.sync_name}' ({self.mode}, {self.load_mode} load) run {self.run_id}: "
            f"{self.seconds:.1f}s",
            f"  extracted  {self.extracted:>9,}",
            f"  rejected   {self.rejected:>9,}",
        ]
        lines += [f"    {reason:<22}{n:>7,}" for reason, n in sorted(self.rejected_by_reason.items())]
        for name, n in self.outcome_counts().items():
            lines.append(f"  {name:<10} {n:>9,}")
            if name == "unchanged" and self.skipped:
                lines.append(f"    known by their source values alone {self.skipped:>7,}  (not transformed)")
        lines += [
            f"  field left out: {reason:<14}{n:>7,}"
            for reason, n in sorted(self.field_issues_by_reason.items())
        ]
        lines.append(f"  requests   {self.requests:>9,}  (429s: {self.throttled:,})")
        if self.pending:
            lines.append(
                f"  pending    {self.pending:>9,}  (refused by Sakari or not taken: sent again next run)"
            )
        if self.reread:
            lines.append(f"  note: {self.reread}")
        if self.reconcile:
            lines.append(f"  reconcile  {describe_reconcile(self.reconcile)}")
        return lines


READ_BACK = {
    "none": "nothing touched, nothing read back",
    "touched": "touched contacts read back by {mode}",
    "account": "whole account read back by {mode}",
}
RECONCILE_COUNTS = ("checked", "missing", "drifted", "blocked", "extra", "repaired")


def describe_reconcile(found: Mapping[str, Any]) -> str:
    """The reconcile entry on one line: what was read back and how, its cost and findings, the next
    full read."""
    how = READ_BACK[found["scope"]].format(mode=found["mode"])
    counts = ", ".join(f"{k} {found[k]:,}" for k in RECONCILE_COUNTS)
    due = found["next_full_read"] or "only by reconcile-contacts"
    return f"{how}, {found['requests']:,} requests: {counts}; next full read {due}"

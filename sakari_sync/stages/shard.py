"""Split one sync into n disjoint shards by a stable hash, and add the shards' reports back together.

A valid row goes to the shard of its E.164 mobile, a rejected row to the shard of its source key. Hashing
the mobile (not the key) keeps every row of one phone number in one shard, so the de-duplication rule
(the greatest (cursor, key) wins) and the ledger stay exactly as in an unsharded run, and no two shards
ever write the same Sakari contact. Every source row still lands in exactly one shard's report.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from sakari_sync.config import SyncParameters
from sakari_sync.stages.report import SyncReport
from sakari_sync.stages.transform import TransformResult


def shard_of(value: str, shards: int) -> int:
    """The shard of a value: stable across processes, machines and Python versions (unlike `hash`)."""
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _in_shard(values: pd.Series, shard: int, shards: int) -> pd.Series:
    return values.astype(str).map(lambda v: shard_of(v, shards) == shard).astype(bool)


def select_shard(result: TransformResult, params: SyncParameters) -> tuple[TransformResult, int]:
    """Keep this shard's valid rows and rejects; also say how many source rows that is."""
    if params.shards == 1:
        return result, len(result.valid) + len(result.rejects)
    valid = result.valid[_in_shard(result.valid["mobile"], params.shard, params.shards)]
    rejects = result.rejects[_in_shard(result.rejects["source_key"], params.shard, params.shards)]
    issues = result.field_issues[result.field_issues["source_key"].isin(valid["source_key"])]
    kept = TransformResult(
        valid.reset_index(drop=True), rejects.reset_index(drop=True), issues.reset_index(drop=True)
    )
    return kept, len(valid) + len(rejects)


def shard_parameters(params: SyncParameters, shards: int) -> list[SyncParameters]:
    """One parameter set per shard, each with its own state scope (lock, ledger, cursor)."""
    return [params.model_copy(update={"shard": i, "shards": shards}) for i in range(shards)]


def combine_reports(name: str, reports: list[SyncReport]) -> SyncReport:
    """One report for the whole sync: counts add up; the mode and cursor say if the shards differed."""
    modes = sorted({r.mode for r in reports})
    combined = SyncReport(sync_name=name, run_id=",".join(r.run_id for r in reports), mode="+".join(modes))
    for report in reports:
        combined.extracted += report.extracted
        combined.requests += report.requests
        combined.throttled += report.throttled
        combined.created += report.created
        combined.updated += report.updated
        combined.unchanged += report.unchanged
        combined.suppressed += report.suppressed
        combined.failed += report.failed
        combined.add_rejects(report.rejected_by_reason)
        combined.seconds = max(combined.seconds, report.seconds)
    cursors = {r.cursor for r in reports}
    combined.cursor = cursors.pop() if len(cursors) == 1 else None
    return combined

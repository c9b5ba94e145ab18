"""Dry run: what a real run would send, from the staged rows and the ledger, with nothing sent.

A real run labels each contact the same way: `create` when the ledger knows no Sakari contact for the
mobile, `update` when it does (with the fields that change), `suppress` for a known opt-out. Rows the
transform rejected appear with their reasons, and everything else is `unchanged`.
"""

from __future__ import annotations

import json
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from sakari_client.redaction import mask_phone
from sakari_sync.run import RunContext
from sakari_sync.state.store import Change

ACTION_TO_OUTCOME = {"create": "created", "update": "updated", "suppress": "suppressed"}


class PlanRow(BaseModel):
    action: str
    source_key: str
    mobile: str = Field(description="masked to the last four digits")
    changed_fields: list[str] = Field(default_factory=list)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Fields (attributes and lists one level down) whose value a send would change (pure)."""
    changed = []
    for key in sorted(set(before) | set(after)):
        if key == "attributes":
            old, new = before.get(key) or {}, after.get(key) or {}
            changed += [f"attributes.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif before.get(key) != after.get(key):
            changed.append(key)
    return changed


def plan_change(change: Change) -> PlanRow:
    """The action a real run takes for one pending contact (pure)."""
    row = PlanRow(action="create", source_key=change.source_key, mobile=mask_phone(change.mobile))
    if change.blocked:
        row.action = "suppress"
    elif change.known_contact_id:
        row.action = "update"
        before = json.loads(change.previous_payload) if change.previous_payload else {}
        row.changed_fields = changed_fields(before, json.loads(change.payload))
    return row


@task(name="plan", cache_policy=NO_CACHE)
def build_plan(run: RunContext) -> list[PlanRow]:
    """Every pending contact's action and every reject, in the report's counts and as rows."""
    rows = [
        plan_change(change)
        for batch in run.store.iter_changes(run.run_id, run.params.sakari.batch_size)
        for change in batch
    ]
    for row in rows:
        outcome = ACTION_TO_OUTCOME[row.action]
        setattr(run.report, outcome, getattr(run.report, outcome) + 1)
    rows += [
        PlanRow(
            action=f"reject:{r['reason']}", source_key=r["source_key"] or "", mobile=r["mobile_masked"] or ""
        )
        for r in run.store.rejects_for(run.run_id)
    ]
    return rows

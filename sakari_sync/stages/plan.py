"""Dry run: what a real run would send, from the staged rows and the ledger, with nothing sent.

A real run labels each contact the same way: `create` when the ledger knows no Sakari contact for the
mobile, `update` when it does (with the fields that change), `suppress` for a known opt-out. Rows the
transform rejected appear with their reasons, and everything else is `unchanged`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from sakari_client.redaction import mask_phone
from sakari_sync.outcomes import Change, Outcome


class Action(StrEnum):
    """What a real run would do to a pending contact."""

    CREATE = "create"
    UPDATE = "update"
    SUPPRESS = "suppress"

    @property
    def outcome(self) -> Outcome:
        """The outcome a real run records for this action."""
        return {Action.CREATE: Outcome.CREATED, Action.UPDATE: Outcome.UPDATED}.get(self, Outcome.SUPPRESSED)


class PlanRow(BaseModel):
    """One line of the plan: an action (or `reject:<reason>`), the source key, the masked mobile."""

    action: str
    source_key: str
    mobile: str = Field(description="masked to the last four digits")
    changed_fields: list[str] = Field(default_factory=list)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Fields (attributes one level down) whose value a send would change (pure)."""
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
    row = PlanRow(action=Action.CREATE, source_key=change.source_key, mobile=mask_phone(change.mobile))
    if change.blocked:
        row.action = Action.SUPPRESS
    elif change.known_contact_id:
        row.action = Action.UPDATE
        before = json.loads(change.previous_payload) if change.previous_payload else {}
        row.changed_fields = changed_fields(before, json.loads(change.payload))
    return row


def plan_rejects(rejects: Iterable[dict[str, Any]]) -> list[PlanRow]:
    """The plan's rows for rejected source rows (`reject:<reason>`)."""
    return [
        PlanRow(
            action=f"reject:{r['reason']}", source_key=r["source_key"] or "", mobile=r["mobile_masked"] or ""
        )
        for r in rejects
    ]


def planned_outcomes(rows: Iterable[PlanRow]) -> Counter[Outcome]:
    """How many contacts a real run would create, update and suppress."""
    actions = {a.value: a for a in Action}
    return Counter(actions[r.action].outcome for r in rows if r.action in actions)

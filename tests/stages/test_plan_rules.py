"""The dry run's rules on their own: which fields a send would change, and which action each pending
contact gets."""

from __future__ import annotations

import json

from sakari_sync.outcomes import Change, Outcome
from sakari_sync.stages.plan import Action, changed_fields, plan_change, plan_rejects, planned_outcomes

MOBILE = "+14155550123"


def change(payload: dict[str, object], *, known: str | None = None, before: dict[str, object] | None = None,
           blocked: bool = False) -> Change:  # fmt: skip
    previous = json.dumps(before) if before is not None else None
    return Change(MOBILE, "7", json.dumps(payload), "h", known, previous, blocked)


def test_changed_fields_name_attributes_one_level_down() -> None:
    """Top-level fields by name, attributes as attributes.<name>, both directions."""
    before = {"firstName": "A", "attributes": {"plan": "pro", "old": 1}}
    after = {"firstName": "B", "attributes": {"plan": "pro", "new": 2}, "email": "a@example.com"}
    assert changed_fields(before, after) == ["attributes.new", "attributes.old", "email", "firstName"]
    assert changed_fields(after, after) == []


def test_each_pending_contact_gets_the_action_a_real_run_takes() -> None:
    """Unknown mobile: create; known: update with its changed fields; opted out: suppress."""
    body: dict[str, object] = {"mobile": {"number": MOBILE}, "firstName": "B"}
    assert plan_change(change(body)).action == Action.CREATE
    update = plan_change(change(body, known="c1", before={"mobile": {"number": MOBILE}, "firstName": "A"}))
    assert (update.action, update.changed_fields) == (Action.UPDATE, ["firstName"])
    assert plan_change(change(body, known="c1", blocked=True)).action == Action.SUPPRESS
    assert MOBILE not in update.mobile, "the plan shows masked numbers"


def test_planned_outcomes_count_actions_and_skip_rejects() -> None:
    """Create, update and suppress map to the outcomes a real run would record; rejects are not outcomes."""
    rows = [plan_change(change({"mobile": {"number": MOBILE}}))]
    rows += plan_rejects([{"source_key": "9", "reason": "invalid_phone", "mobile_masked": "•••0000"}])
    assert planned_outcomes(rows) == {Outcome.CREATED: 1}
    assert rows[-1].action == "reject:invalid_phone"

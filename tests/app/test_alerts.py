"""The automations `sakari-sync alerts` creates, as definitions: who they watch and what they do."""

from __future__ import annotations

import uuid

from prefect.automations import EventTrigger
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, SendNotification

from sakari_sync.app.alerts import FAILED, LOST, REJECTS, alert_automations


def test_three_automations_two_of_them_notifying_through_the_block() -> None:
    """Failed runs and a high rejected share notify through the block; lost runs change the run's state."""
    block = uuid.uuid4()
    failed, rejects, lost = alert_automations(block)
    assert [failed.name, rejects.name, lost.name] == [FAILED, REJECTS, LOST]
    for notifying in (failed, rejects):
        (action,) = notifying.actions
        assert isinstance(action, SendNotification)
        assert action.block_document_id == block


def test_a_run_that_stops_beating_is_marked_crashed() -> None:
    """Heartbeats stop, and no final state came within 10 minutes (over three of Prefect's 180 s beats):
    the run is marked Crashed, for our flows only, one run at a time."""
    lost = alert_automations(uuid.uuid4())[2]
    trigger = lost.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.posture == "Proactive"
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    assert trigger.expect == {
        "prefect.flow-run.heartbeat",
        "prefect.flow-run.Completed",
        "prefect.flow-run.Failed",
        "prefect.flow-run.Cancelled",
        "prefect.flow-run.Crashed",
    }
    assert trigger.within.total_seconds() == 600
    assert trigger.for_each == {"prefect.resource.id"}
    assert trigger.match_related.root["prefect.resource.name"] == [  # type: ignore[union-attr]  # one spec
        "sync-contacts",
        "sync-contacts-sharded",
    ]
    (action,) = lost.actions
    assert isinstance(action, ChangeFlowRunState)
    assert action.state == StateType.CRASHED

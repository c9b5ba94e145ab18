"""Create the alert automations on the Prefect server the environment names.

    sakari-sync alerts --notify-block slack-webhook/data-alerts
    python -m sakari_sync.app.alerts --notify-block slack-webhook/data-alerts     # the same

- `sakari-sync failed`: a run of sync-contacts (or the sharded flow) ends Failed or Crashed.
- `sakari-sync rejects high`: a run emitted `sakari.sync.rejects-high` (its rejected share exceeded the
  sync's `rejected_share_alert`; see sakari_sync/tasks/events.py).
- `sakari-sync lost runs`: a run stopped sending Prefect's flow-run heartbeats (every 180 s by
  default, `PREFECT_FLOWS_HEARTBEAT_FREQUENCY`) without reaching a final state: its process died
  (SIGKILL, a lost machine) and no later run took over its lock. It is marked Crashed, which the first
  automation then reports. (A later run of the same sync that takes over the lock does so at once.)

The first two send through a saved notification block (Slack, Teams, email, a custom webhook...),
named by `--notify-block` as `<block-type-slug>/<name>` (e.g. `slack-webhook/data-alerts`). Running it
again replaces the automations, so it is safe in a deploy script.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from uuid import UUID

from prefect.automations import Automation, EventTrigger, SendNotification
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.exceptions import ObjectNotFound

from sakari_sync.errors import ConfigError, PrefectError
from sakari_sync.tasks.events import REJECTS_HIGH

FLOWS = ["sync-contacts", "sync-contacts-sharded"]
FAILED = "sakari-sync failed"
REJECTS = "sakari-sync rejects high"
LOST = "sakari-sync lost runs"
NAMES = (FAILED, REJECTS, LOST)
LOST_AFTER = timedelta(minutes=10)  # over three of Prefect's default heartbeats (180 s)
_FINAL = ("Completed", "Failed", "Cancelled", "Crashed")
_OUR_FLOWS = {"prefect.resource.role": "flow", "prefect.resource.name": FLOWS}


def alert_automations(block_document_id: UUID) -> list[Automation]:
    """The automations: two notifying through the block with this id, and the lost-run watch."""
    return [_failed(block_document_id), _rejects(block_document_id), lost_runs()]


def _failed(block_document_id: UUID) -> Automation:
    return Automation(
        name=FAILED,
        description="A sync run failed or crashed: nothing after the failure was sent.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related=_OUR_FLOWS,
            posture="Reactive",
            threshold=1,
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="sakari-sync run failed: {{ flow_run.name }}",
                body="Flow run {{ flow_run.name }} ended {{ flow_run.state.name }}: {{ flow_run|ui_url }}",
            )
        ],
    )


def _rejects(block_document_id: UUID) -> Automation:
    return Automation(
        name=REJECTS,
        description="A sync rejected more of its rows than its threshold allows.",
        trigger=EventTrigger(
            expect={REJECTS_HIGH},
            match={"prefect.resource.id": "sakari.sync.*"},
            posture="Reactive",
            threshold=1,
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject="sakari-sync rejected too many rows: {{ event.resource.name }}",
                body=(
                    "Sync {{ event.resource.name }} rejected {{ event.payload.rejected }} of "
                    "{{ event.payload.extracted }} rows (share {{ event.payload.rejected_share }}, "
                    "threshold {{ event.payload.threshold }})."
                ),
            )
        ],
    )


def lost_runs() -> Automation:
    """Marks Crashed a sync run whose heartbeats stopped for LOST_AFTER before it ended."""
    return Automation(
        name=LOST,
        description="A sync run stopped sending heartbeats before it ended: its process died.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{state}" for state in _FINAL)},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related=_OUR_FLOWS,
            for_each={"prefect.resource.id"},
            posture="Proactive",
            threshold=1,
            within=LOST_AFTER,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {LOST_AFTER.seconds // 60} minutes before the run ended: its "
                "process died (killed, or its machine lost). The next run takes over its lock.",
            )
        ],
    )


async def create_alerts(notify_block: str, api_url: str = "the configured Prefect server") -> list[UUID]:
    """Replace the automations on the server; return their ids."""
    async with get_client() as client:
        block_id = await _block_id(client, notify_block, api_url)
        for name in NAMES:
            for existing in await client.read_automations_by_name(name):
                await client.delete_automation(existing.id)
    created = [await automation.acreate() for automation in alert_automations(block_id)]
    return [a.id for a in created if a.id is not None]


def create_alerts_now(notify_block: str, api_url: str) -> list[UUID]:
    """`create_alerts` from synchronous code (the command line)."""
    return asyncio.run(create_alerts(notify_block, api_url))


async def _block_id(client: PrefectClient, notify_block: str, api_url: str) -> UUID:
    slug, _, name = notify_block.partition("/")
    if not slug or not name:
        raise ConfigError(
            f"--notify-block {notify_block!r} must be <block-type-slug>/<name>, e.g. slack-webhook/alerts"
        )
    try:
        block = await client.read_block_document_by_name(name, slug, include_secrets=False)
    except ObjectNotFound:
        saved = await _notification_blocks(client)
        there = f"notification blocks there: {', '.join(saved)}" if saved else "it has no notification block"
        raise PrefectError(
            f"no block {notify_block!r} on the Prefect server at {api_url} ({there}); save one first "
            "(docs/deploy.md, Alerts) or fix --notify-block"
        ) from None
    if block.block_schema is None or "notify" not in block.block_schema.capabilities:
        raise ConfigError(f"block {notify_block!r} cannot send notifications; name a notification block")
    return block.id


async def _notification_blocks(client: PrefectClient) -> list[str]:
    blocks = await client.read_block_documents(include_secrets=False)
    return sorted(
        f"{b.block_type.slug}/{b.name}"
        for b in blocks
        if b.block_type is not None and b.block_schema is not None and "notify" in b.block_schema.capabilities
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m sakari_sync.app.alerts ...`: the same as `sakari-sync alerts ...`."""
    from sakari_sync.app.cli import main as cli_main

    return cli_main(["alerts", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())

"""Create the two alert automations on the Prefect server the environment names.

    python -m sakari_sync.app.alerts --notify-block slack-data-alerts

- `sakari-sync failed`: a run of sync-contacts (or the sharded flow) ends Failed or Crashed.
- `sakari-sync rejects high`: a run emitted `sakari.sync.rejects-high` (its rejected share exceeded the
  sync's `rejected_share_alert`; see sakari_sync/tasks/events.py).

Both send through a saved notification block (Slack, Teams, email, a custom webhook...), named by
`--notify-block` as `<block-type-slug>/<name>` (e.g. `slack-webhook/data-alerts`). Running it again
replaces the two automations, so it is safe in a deploy script.
"""

from __future__ import annotations

import argparse
import asyncio
from uuid import UUID

from prefect.automations import Automation, EventTrigger, SendNotification
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client

from sakari_sync.tasks.events import REJECTS_HIGH

FLOWS = ["sync-contacts", "sync-contacts-sharded"]
FAILED = "sakari-sync failed"
REJECTS = "sakari-sync rejects high"


def alert_automations(block_document_id: UUID) -> list[Automation]:
    """The two automations, notifying through the block with this id."""
    failed = Automation(
        name=FAILED,
        description="A sync run failed or crashed: nothing after the failure was sent.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": FLOWS},
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
    rejects = Automation(
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
    return [failed, rejects]


async def create_alerts(notify_block: str) -> list[UUID]:
    """Replace the two automations on the server; return their ids."""
    block_id = await _block_id(notify_block)
    async with get_client() as client:
        for name in (FAILED, REJECTS):
            for existing in await client.read_automations_by_name(name):
                await client.delete_automation(existing.id)
    created = [await automation.acreate() for automation in alert_automations(block_id)]
    return [a.id for a in created if a.id is not None]


async def _block_id(notify_block: str) -> UUID:
    block: Block = await Block.aload(notify_block)
    block_id: UUID | None = block._block_document_id
    if block_id is None:
        raise ValueError(f"block {notify_block!r} is not saved on this server")
    return block_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sakari_sync.app.alerts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--notify-block", required=True, help="notification block, as <type-slug>/<name>")
    args = parser.parse_args(argv)
    ids = asyncio.run(create_alerts(args.notify_block))
    print(f"created automations {FAILED!r} and {REJECTS!r}: {', '.join(map(str, ids))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Prefect flow runs as the sync sees them: a dead run found holding the lock is marked Crashed."""

from __future__ import annotations

import logging
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

from sakari_sync.state.lock import DeadRun

log = logging.getLogger(__name__)


async def crash_dead_run(dead: DeadRun | None, successor: str) -> bool:
    """Mark the flow run of a dead run whose lock `successor` took over as Crashed (it would otherwise
    stay Running in the UI for ever). True when a run was marked."""
    if dead is None or not dead.flow_run_id:
        return False
    message = (
        f"The process running this sync ({dead.owner}) died; run {successor} took over its lock. "
        "Contacts it had not recorded were sent again by that run."
    )
    async with get_client() as client:
        try:
            run = await client.read_flow_run(UUID(dead.flow_run_id))
        except ObjectNotFound:
            return False  # the dead run reported to another Prefect server
        if run.state is not None and run.state.is_final():
            return False
        await client.set_flow_run_state(UUID(dead.flow_run_id), Crashed(message=message), force=True)
    log.warning("marked the dead run %s (flow run %s) Crashed", dead.run_id, dead.flow_run_id)
    return True

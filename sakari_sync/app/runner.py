"""Running the flow from the command line: the run, the report printed, blocks saved."""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, cast

from sakari_sync.app.logs import is_tamed, prepare_environment, tame_prefect_console
from sakari_sync.config import SyncParameters
from sakari_sync.errors import ConfigError, ContactsPendingError

if TYPE_CHECKING:
    from sakari_sync.stages.report import SyncReport


def quiet_console() -> None:
    """Keep Prefect's chatter and tracebacks out of the terminal (the run's page in the UI keeps them);
    settings already made (by the command line, or the environment) stay as they are."""
    if is_tamed():
        return  # the command line did it, before Prefect was imported
    prepare_environment(debug=False)
    from prefect.logging.configuration import setup_logging

    setup_logging()  # again: Prefect may have been imported before the settings above were made
    tame_prefect_console()


def run_sync(params: SyncParameters, *, dry_run: bool = False) -> SyncReport:
    """Run `sync-contacts` once in this process and return its report."""
    quiet_console()
    from sakari_sync.flows.sync import sync_contacts

    flow = sync_contacts
    if params.task_runner == "dask":
        from sakari_sync.flows.dask import sync_contacts_on_dask

        flow = sync_contacts_on_dask(params.dask_address)
    try:
        report: SyncReport = asyncio.run(flow(params=params, dry_run=dry_run))
    except ContactsPendingError as exc:  # the run went to the end with too many contacts pending
        report = cast("SyncReport", exc.report)
    finally:
        flush_to_server()
    return report


def flush_to_server() -> None:
    """Send buffered logs and events now, while the server is still up (the demo stops it next)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all(timeout=10)


def print_report(report: SyncReport, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.model_dump(mode="json"), sort_keys=True))
        return
    print("\n".join(report.summary_lines()))
    if report.plan is not None:
        actions = [r for r in report.plan if r["action"] != "unchanged"]
        rejects = sum(1 for r in actions if r["action"].startswith("reject"))
        print(
            f"  plan (dry run, nothing sent): {len(actions) - rejects:,} to send, {rejects:,} rejected"
            + ("; first 20:" if actions else "")
        )
        for r in actions[:20]:
            fields = f"  [{', '.join(r['changed_fields'])}]" if r["changed_fields"] else ""
            print(f"    {r['action']:<26} key {r['source_key']:<12} {r['mobile']}{fields}")
    if report.flow_run_url:
        print(f"  run in the Prefect UI: {report.flow_run_url}")


def register_blocks() -> None:
    from sakari_sync.blocks.sakari import SakariCredentials

    SakariCredentials.register_type_and_schema()  # sync-compatible: runs here, outside an event loop


def save_sakari_block(
    name: str, *, base_url: str, account_id: str | None, client_id: str | None, client_secret: str | None
) -> None:
    """Save a Sakari Credentials block; the secret may come from SAKARI_CLIENT_SECRET instead of argv."""
    from sakari_sync.blocks.sakari import SakariCredentials

    secret = client_secret or os.environ.get("SAKARI_CLIENT_SECRET")
    missing = [n for n, v in (("--account-id", account_id), ("--client-id", client_id)) if not v]
    if not secret:
        missing.append("--client-secret or SAKARI_CLIENT_SECRET")
    if missing:
        raise ConfigError(f"to save a Sakari block, give {', '.join(missing)}")
    SakariCredentials(
        base_url=base_url, account_id=account_id, client_id=client_id, client_secret=secret
    ).save(name, overwrite=True)

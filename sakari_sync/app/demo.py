"""`sakari-sync demo`: the whole pipeline on the embedded default, with nothing to sign up for.

A sample SQLite warehouse of messy contacts, the local Sakari emulator, and a local Prefect server, all
keeping their files in one folder (`.sakari-demo/` by default), so a second run continues from the
first: it finds nothing changed and sends nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from sakari_sync.app.console import show_progress
from sakari_sync.config import MappingConfig, SakariConfig, SourceConfig, SyncParameters
from sakari_sync.sample_data import SEGMENTS, sample_mapping

if TYPE_CHECKING:
    from sakari_sync.app.cli import Session
    from sakari_sync.stages.report import SyncReport

Say = Callable[[str], None]

DEMO_LISTS = SEGMENTS
DEMO_BLOCK = "sakari-demo"


def demo_parameters(folder: Path, list_ids: dict[str, str]) -> SyncParameters:
    """The sync the demo runs: every field of the sample warehouse mapped to Sakari."""
    return SyncParameters(
        name="demo-contacts",
        source=SourceConfig(
            url=f"sqlite:///{folder / 'warehouse.db'}",
            table="contacts",
            key_column="id",
            cursor_column="updated_at",
        ),
        mapping=MappingConfig.model_validate(sample_mapping(list_ids)),
        sakari=SakariConfig(block=DEMO_BLOCK),
        state_url=f"sqlite:///{folder / 'state.db'}",
        # Read every row each time, so a rerun shows every contact as unchanged (the cursor still
        # advances, and a scheduled deployment would read incrementally).
        full_refresh=True,
    )


def _emulator_lists(url: str) -> dict[str, str]:
    lists = httpx.get(f"{url}/_emulator/lists", timeout=10).json()
    return {item["name"]: item["id"] for item in lists}


def run_demo(args: argparse.Namespace, session: Session) -> int:
    """Run the demo as `args` say (see `sakari-sync demo --help`); the exit code."""
    from sakari_emulator.config import EmulatorConfig
    from sakari_emulator.server import EmulatorServer
    from sakari_sync.app.prefect_server import ensure_server, prefect_command
    from sakari_sync.app.runner import print_report
    from sakari_sync.sample_data import create_sample_warehouse

    folder: Path = args.dir.resolve()
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    say: Say = _silent if args.json else _print
    if not (folder / "warehouse.db").exists():
        say(f"creating a sample warehouse of {args.rows:,} contacts in {folder / 'warehouse.db'}")
        create_sample_warehouse(folder / "warehouse.db", rows=args.rows)
    say("starting the Prefect server (its UI stays up while the demo runs)")
    server = ensure_server(folder / "prefect")
    # Prefect reads its settings when it is imported: export the URL first, and pin it in Prefect's
    # settings too in case something imported Prefect already (it would start a throwaway server).
    os.environ["PREFECT_API_URL"] = server.api_url
    session.import_prefect()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        config = EmulatorConfig(port=0, database=str(folder / "emulator.db"), lists=list(DEMO_LISTS))
        with (
            EmulatorServer(config) as emulator,
            temporary_settings(updates={PREFECT_API_URL: server.api_url}),
        ):
            say(f"Sakari emulator at {emulator.url}")
            with show_progress(args.progress, debug=session.console_debug):
                report = _sync(folder, emulator.url, say)
            print_report(report, as_json=args.json)
            _wait_for_user(args, server.ui_url, say)
    finally:
        server.stop()
    if server.process is not None:
        say(f"to reopen the UI: PREFECT_HOME={folder / 'prefect'} {prefect_command()} server start")
    return 0 if report.pending == 0 else 1


def _silent(_: str) -> None:
    pass


def _print(message: str) -> None:
    print(message, flush=True)


def _sync(folder: Path, emulator_url: str, say: Say) -> SyncReport:
    from sakari_sync.app.runner import register_blocks, run_sync, save_sakari_block

    register_blocks()
    save_sakari_block(
        DEMO_BLOCK,
        base_url=emulator_url,
        account_id="demo-account",
        client_id="demo-client",
        client_secret="demo-secret",  # noqa: S106 - the emulator's published demo credentials
    )
    say("running the sync-contacts flow")
    return run_sync(demo_parameters(folder, _emulator_lists(emulator_url)))


def _wait_for_user(args: argparse.Namespace, ui_url: str, say: Say) -> None:
    if args.no_wait or args.json or not sys.stdin.isatty():
        return
    say(f"the Prefect UI is at {ui_url}; press Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        say("stopping")

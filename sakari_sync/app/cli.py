"""`sakari-sync`: the command line. Ordinary mistakes end in one line and a non-zero exit."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sakari_sync.app.explain import explain, log_debug_trace

log = logging.getLogger("sakari_sync")


def _emulator(args: argparse.Namespace) -> int:
    from sakari_emulator.cli import run

    return run(args)


def _demo(args: argparse.Namespace) -> int:
    from sakari_sync.app.demo import run_demo

    return run_demo(args)


def _run(args: argparse.Namespace) -> int:
    from sakari_sync.app.runner import print_report, run_sync
    from sakari_sync.config import load_config

    params = load_config(args.config)
    # The command speaks for itself: the report, or one line for an error it can explain. Prefect's
    # own console lines (a failed flow's "Encountered exception" and its traceback, the log worker's
    # "still processing") stay out of the terminal; the run's page in the UI keeps every one of them.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    if args.full_refresh:
        params = params.model_copy(update={"full_refresh": True})
    report = run_sync(params, dry_run=args.dry_run)
    print_report(report, as_json=args.json)
    return 0 if report.pending == 0 else 1


def _blocks(args: argparse.Namespace) -> int:
    from sakari_sync.app.runner import register_blocks, save_sakari_block

    register_blocks()
    if args.action == "save":
        save_sakari_block(
            args.name,
            base_url=args.base_url,
            account_id=args.account_id,
            client_id=args.client_id,
            client_secret=args.client_secret,
        )
        print(f"saved Sakari Credentials block '{args.name}'")
    else:
        print("registered the Sakari Credentials block type")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from sakari_emulator.cli import add_arguments as add_emulator_arguments

    parser = argparse.ArgumentParser(prog="sakari-sync", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="print full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    emu = sub.add_parser("emulator", help="serve the local Sakari API emulator")
    add_emulator_arguments(emu)
    emu.set_defaults(func=_emulator)

    demo = sub.add_parser("demo", help="run the whole pipeline on a sample warehouse and the emulator")
    demo.add_argument("--rows", type=int, default=3000, help="sample contacts to generate (default 3000)")
    demo.add_argument("--dir", type=Path, default=Path(".sakari-demo"), help="where the demo keeps its files")
    demo.add_argument("--fresh", action="store_true", help="delete the demo folder and start over")
    demo.add_argument("--json", action="store_true", help="print the report as one JSON object")
    demo.add_argument("--no-wait", action="store_true", help="exit at once instead of keeping the UI up")
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run sync-contacts once from a YAML config file")
    run.add_argument("--config", required=True, type=Path, help="YAML file of SyncParameters")
    run.add_argument("--json", action="store_true", help="print the report as one JSON object")
    run.add_argument("--dry-run", action="store_true", help="compute the plan; send nothing")
    run.add_argument("--full-refresh", action="store_true", help="ignore the stored cursor")
    run.set_defaults(func=_run)

    blocks = sub.add_parser("blocks", help="register the block type, or save a Sakari Credentials block")
    blocks.add_argument("action", choices=["register", "save"])
    blocks.add_argument("--name", default="sakari-prod")
    blocks.add_argument("--base-url", default="https://api.sakari.io")
    blocks.add_argument("--account-id")
    blocks.add_argument("--client-id")
    blocks.add_argument("--client-secret", help="better: leave it out and set SAKARI_CLIENT_SECRET")
    blocks.set_defaults(func=_blocks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = explain(exc)
        if message is None or args.debug:
            raise
        trace_file = log_debug_trace(exc)
        print(f"sakari-sync: {message}", file=sys.stderr)
        if trace_file:
            print(f"  (details: {trace_file})", file=sys.stderr)
        return 2

"""`sakari-sync`: the command line. An ordinary mistake ends in one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sakari_sync.app.console import MODES
from sakari_sync.app.explain import explain
from sakari_sync.app.logs import DebugLog, prepare_environment, tame_prefect_console, wants_debug

# The block's default (sakari_sync.blocks.sakari), written here so `--help` needs no Prefect import.
SAKARI_API = "https://api.sakari.io"


@dataclass
class Session:
    """What every command shares: the debug switch and the debug log."""

    debug: bool
    log: DebugLog = field(default_factory=DebugLog)

    @property
    def console_debug(self) -> bool:
        return wants_debug(self.debug)

    def import_prefect(self) -> None:
        """Import Prefect (its logging as prepared), quiet its console, and take the debug log."""
        tame_prefect_console()
        self.log.attach(self.console_debug)

    def start_prefect(self) -> str:
        """`import_prefect`, then check the Prefect server this command reports to; its API URL."""
        from sakari_sync.app.prefect_server import require_server

        self.import_prefect()
        return require_server()


Command = Callable[[argparse.Namespace, Session], int]


def _emulator(args: argparse.Namespace, session: Session) -> int:
    from sakari_emulator.cli import run

    return run(args)


def _demo(args: argparse.Namespace, session: Session) -> int:
    from sakari_sync.app.demo import run_demo

    return run_demo(args, session)


def _run(args: argparse.Namespace, session: Session) -> int:
    from sakari_sync.app.config_file import load_config

    params = load_config(args.config)  # before Prefect is imported: a mistake here costs no time
    if args.full_refresh:
        params = params.model_copy(update={"full_refresh": True})
    session.start_prefect()
    from sakari_sync.app.console import show_progress
    from sakari_sync.app.runner import print_report, run_sync

    with show_progress(args.progress, debug=session.console_debug):
        report = run_sync(params, dry_run=args.dry_run)
    print_report(report, as_json=args.json)
    return 0 if report.pending == 0 else 1


def _blocks(args: argparse.Namespace, session: Session) -> int:
    api_url = session.start_prefect()
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
        print(f"saved Sakari Credentials block '{args.name}' on the Prefect server at {api_url}")
    else:
        print(f"registered the Sakari Credentials block type on the Prefect server at {api_url}")
    return 0


def _alerts(args: argparse.Namespace, session: Session) -> int:
    api_url = session.start_prefect()
    from sakari_sync.app.alerts import NAMES, create_alerts_now

    ids = create_alerts_now(args.notify_block, api_url)
    print(f"created automations {', '.join(map(repr, NAMES))} on {api_url}: {', '.join(map(str, ids))}")
    return 0


def _add_debug(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show debug lines on the console and keep them in the debug log (the error stays one line)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand; `--debug` is accepted before or after the subcommand."""
    from sakari_emulator.cli import add_arguments as add_emulator_arguments

    parser = argparse.ArgumentParser(prog="sakari-sync", description=__doc__)
    _add_debug(parser, False)
    common = argparse.ArgumentParser(add_help=False)
    _add_debug(common, argparse.SUPPRESS)  # after the subcommand; unset there, the top level's counts
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        child.set_defaults(func=func)
        return child

    add_emulator_arguments(command("emulator", _emulator, "serve the local Sakari API emulator"))
    _demo_options(command("demo", _demo, "run the whole pipeline on a sample warehouse and the emulator"))
    _run_options(command("run", _run, "run sync-contacts once from a YAML config file"))
    _blocks_options(command("blocks", _blocks, "register the block type, or save a Sakari Credentials block"))
    alerts = command(
        "alerts", _alerts, "create the alert automations (failed runs, a high rejected share, lost runs)"
    )
    alerts.add_argument(
        "--notify-block",
        required=True,
        help="the notification block to send through: <block-type-slug>/<name>, e.g. slack-webhook/alerts",
    )
    return parser


def _demo_options(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--rows", type=int, default=3000, help="sample contacts to generate (default 3000)")
    demo.add_argument("--dir", type=Path, default=Path(".sakari-demo"), help="where the demo keeps its files")
    demo.add_argument("--fresh", action="store_true", help="delete the demo folder and start over")
    demo.add_argument("--json", action="store_true", help="print the report as one JSON object")
    demo.add_argument("--no-wait", action="store_true", help="exit at once instead of keeping the UI up")
    _add_progress(demo)


def _run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--config", required=True, type=Path, help="YAML file of SyncParameters")
    run.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    run.add_argument("--dry-run", action="store_true", help="compute the plan; send nothing")
    run.add_argument("--full-refresh", action="store_true", help="ignore the stored cursor")
    _add_progress(run)


def _blocks_options(blocks: argparse.ArgumentParser) -> None:
    blocks.add_argument("action", choices=["register", "save"])
    blocks.add_argument("--name", default="sakari-prod", help="the block's name (default %(default)s)")
    blocks.add_argument(
        "--base-url",
        default=SAKARI_API,
        help="Sakari's API root, without /v1 (default %(default)s); for the emulator, the URL it "
        "prints at start, e.g. http://127.0.0.1:8765",
    )
    blocks.add_argument("--account-id", help="the Sakari account to write contacts to")
    blocks.add_argument("--client-id", help="OAuth2 client id from Sakari's API settings")
    blocks.add_argument("--client-secret", help="better: leave it out and set SAKARI_CLIENT_SECRET")


def _add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=MODES,
        default="auto",
        help="progress on stderr: live on a terminal and a line every few seconds elsewhere (auto, the "
        "default), or always live, lines, or off",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it worked, 1 when some contacts failed, 2 for a mistake to fix."""
    args = build_parser().parse_args(argv)
    session = Session(debug=args.debug)
    prepare_environment(session.debug)  # before Prefect is imported: it reads these once
    func: Command = args.func
    try:
        return func(args, session)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = explain(exc)
        if message is None:  # a bug: its traceback goes to the console and the debug log
            session.log.write_trace(exc)
            raise
        # Point at the debug log only when this command wrote lines there (a run, not a config file).
        details = session.log.write_trace(exc) if session.log.holds_lines else None
        print(f"sakari-sync: {message}", file=sys.stderr)
        if details is not None:
            print(f"  (details: {details})", file=sys.stderr)
        return 2
    finally:
        session.log.close()

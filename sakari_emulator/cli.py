"""Command line: `add_arguments` declares the options, `run` serves until Ctrl-C.

Wired by the project as `sakari-sync emulator ...`; also `python -m sakari_emulator ...`.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys

from .config import DEMO_CLIENT_SECRET, STYLE_FIELDS, EmulatorConfig, is_loopback_host
from .server import EmulatorServer

_DEFAULTS = EmulatorConfig()


# Numeric fault options: flag, type, metavar, help. Their defaults come from EmulatorConfig.
_FAULT_OPTIONS: list[tuple[str, type, str, str]] = [
    ("--rate-limit", float, "REQ_PER_S", "token bucket per account; over it: 429 (default off)"),
    ("--burst", int, "N", "bucket size (default %(default)s)"),
    ("--token-ttl", float, "SECONDS", "access token lifetime (default %(default)s)"),
    ("--latency", float, "SECONDS", "mean latency added to each API answer"),
    ("--latency-jitter", float, "SECONDS", "latency varies uniformly by +/- this"),
    ("--error-rate", float, "SHARE", "share of API calls answered 500 or 503 (0..1)"),
    ("--drop-rate", float, "SHARE", "share of writes whose connection drops after commit (0..1)"),
    ("--throttle-burst-every", float, "SECONDS", "period of windows where every call gets 429 (0 = none)"),
    ("--throttle-burst-length", float, "SECONDS", "length of each 429 window"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the emulator's options on `parser`."""
    d = _DEFAULTS
    where = parser.add_argument_group("where and who")
    where.add_argument("--host", default=d.host, help="address to bind (default %(default)s; loopback only)")
    where.add_argument("--port", type=int, default=d.port, help="port (default %(default)s; 0: any free)")
    where.add_argument("--database", default=d.database, help="SQLite file, or :memory: (default)")
    where.add_argument("--client-id", default=d.client_id, help="OAuth client id (default %(default)s)")
    where.add_argument("--client-secret", default=d.client_secret, help="OAuth client secret (demo-secret)")
    where.add_argument("--account-id", default=d.account_id, help="account id (default %(default)s)")
    where.add_argument(
        "--list", dest="lists", action="append", default=[], metavar="NAME",
        help="create a list (repeatable); its id is printed at start",
    )  # fmt: skip
    where.add_argument("--seed", type=int, default=None, help="seed for ids and faults (reproducible runs)")
    where.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    where.add_argument("--verbose", action="store_true", help="log every request (uvicorn access log)")
    faults = parser.add_argument_group("faults (all off by default)")
    faults.add_argument(
        "--no-retry-after", dest="retry_after", action="store_false", help="send 429 without Retry-After"
    )
    for flag, kind, metavar, text in _FAULT_OPTIONS:
        default = getattr(d, flag.removeprefix("--").replace("-", "_"))
        faults.add_argument(flag, type=kind, default=default, metavar=metavar, help=text)
    shapes = parser.add_argument_group("answer styles (the older shapes Sakari's OpenAPI file declares)")
    shapes.add_argument(
        "--pagination-style", choices=STYLE_FIELDS["pagination_style"], default=d.pagination_style,
        help="full: pagination has hasNext (default); openapi: only totalCount, limit, offset",
    )  # fmt: skip
    shapes.add_argument(
        "--bulk-answer-style", choices=STYLE_FIELDS["bulk_answer_style"], default=d.bulk_answer_style,
        help="rows: CSV row errors are {row, code, description} (default); openapi: Contact-shaped",
    )  # fmt: skip


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """An `EmulatorConfig` from parsed options (ValueError if a value is out of range)."""
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        database=args.database,
        client_id=args.client_id,
        client_secret=args.client_secret,
        account_id=args.account_id,
        lists=list(args.lists),
        rate_limit=args.rate_limit,
        burst=args.burst,
        retry_after=args.retry_after,
        token_ttl=args.token_ttl,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        throttle_burst_every=args.throttle_burst_every,
        throttle_burst_length=args.throttle_burst_length,
        pagination_style=args.pagination_style,
        bulk_answer_style=args.bulk_answer_style,
        seed=args.seed,
        allow_remote=args.allow_remote,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (or SIGTERM); 0 on a clean stop, 2 on bad options or an unusable port/file."""
    try:
        config = config_from_args(args)
    except ValueError as exc:
        return _fail(str(exc))
    if not config.allow_remote and not is_loopback_host(config.host):
        return _fail(
            f"refusing to listen on non-loopback host {config.host!r}: the emulator has no real "
            "security; pass --allow-remote to do it anyway"
        )
    try:
        server = EmulatorServer(config, access_log=args.verbose)
    except sqlite3.Error as exc:
        return _fail(f"cannot open database {config.database!r}: {exc}")
    try:
        server.bind()
    except OSError as exc:
        server.backend.close()
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
    _print_banner(server)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _fail(message: str) -> int:
    print(f"sakari emulator: {message}", file=sys.stderr)
    return 2


def _print_banner(server: EmulatorServer) -> None:
    config = server.config
    secret = DEMO_CLIENT_SECRET if config.client_secret == DEMO_CLIENT_SECRET else "(as given)"
    lines = [
        f"Sakari emulator listening on {server.url}",
        f"  client id {config.client_id}, client secret {secret}, account id {config.account_id}",
        f"  database {config.database}",
    ]
    lines += [f"  list {name!r}: {list_id}" for list_id, name in server.backend.lists()]
    active = {k: v for k, v in config.faults().items() if v != getattr(_DEFAULTS, k)}
    if active:
        lines.append("  faults: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    styles = {k: v for k, v in config.styles().items() if v != getattr(_DEFAULTS, k)}
    if styles:
        lines.append("  answer styles: " + ", ".join(f"{k}={v}" for k, v in styles.items()))
    lines.append("  inspection: GET /_emulator/stats, /_emulator/contacts, /_emulator/lists. Ctrl-C stops.")
    print("\n".join(lines), flush=True)

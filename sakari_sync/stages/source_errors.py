"""Source errors: turn what the database or driver says into one `SourceError` line naming the fix.

Every message names the part of the config to change (source.url, source.table, source.query,
source.params, the key or cursor column) and never carries a password or a row value: URLs are
rendered with the password hidden, a driver's message is cut to its first line (SQLAlchemy's own
rendering appends the SQL and its parameters), a data error's quoted value is dropped, and what is
left goes through `redact`. `sakari_sync.stages.extract` raises these; callers import `SourceError`
from there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError
from sqlalchemy.sql.expression import Executable

from sakari_client.redaction import redact
from sakari_sync.config import SourceConfig
from sakari_sync.errors import SourceError, connection_hint

__all__ = [
    "ReadOnly",
    "SourceError",
    "check_columns",
    "describe_source",
    "explain_read_error",
    "first_line",
    "unreachable_error",
]

ReadOnly = Callable[[Engine], AbstractContextManager[Connection]]  # `sakari_sync.stages.extract.read_only`


def check_columns(names: Sequence[str], source: SourceConfig, *, where: str) -> None:
    """Raise a SourceError if the key or cursor column is missing from `names`, or a name repeats."""
    available = ", ".join(names)
    if source.key_column not in names:
        raise SourceError(
            f"source key column {source.key_column!r} not found in {where}; "
            f"set source.key_column to one of: {available}"
        )
    if source.cursor_column is not None and source.cursor_column not in names:
        raise SourceError(
            f"source cursor column {source.cursor_column!r} not found in {where}; "
            f"set source.cursor_column to one of: {available} (or unset it)"
        )
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise SourceError(f"{where} returns column(s) {', '.join(twice)} twice; alias them apart")


def explain_read_error(
    engine: Engine,
    source: SourceConfig,
    exc: SQLAlchemyError,
    *,
    read_only: ReadOnly,
    probe: Executable,
    params: Mapping[str, Any],
) -> SourceError:
    """Turn a failed page read into a SourceError that says which part of the config is wrong.

    `probe` (run with `params`) selects the source's columns and no rows: whether it fails tells a
    broken query or bad params from a wrong column name or a stored cursor the database rejects.
    """
    if source.table is not None:
        schema, _, name = source.table.rpartition(".")
        tables = _table_names(engine, schema or None, read_only)
        if tables is not None and name not in tables:
            listed = ", ".join(sorted(tables)[:20]) or "none"
            return SourceError(
                f"source table {source.table!r} not found in {_safe_url(engine)}; "
                f"check source.table (tables and views there: {listed})"
            )
    try:
        with read_only(engine) as conn:
            names = list(conn.execute(probe, params).keys())
    except SQLAlchemyError as probe_exc:
        fix = "check source.params" if isinstance(probe_exc, DataError) else "fix the SQL"
        return SourceError(f"{describe_source(source)} failed: {_db_message(probe_exc)}; {fix}")
    try:
        check_columns(names, source, where=describe_source(source))
    except SourceError as columns_error:
        return columns_error
    return SourceError(
        f"reading {describe_source(source)} failed: {_db_message(exc)}; "
        "check the stored cursor (or run with --full-refresh)"
    )


def _table_names(engine: Engine, schema: str | None, read_only: ReadOnly) -> set[str] | None:
    try:
        with read_only(engine) as conn:
            inspector = inspect(conn)
            return set(inspector.get_table_names(schema)) | set(inspector.get_view_names(schema))
    except SQLAlchemyError:
        return None  # cannot list them (e.g. no rights): fall through to the database's own message


def unreachable_error(engine: Engine, exc: DBAPIError) -> SourceError:
    """The SourceError for a database that refused or never answered the connection."""
    url = engine.url
    where = f"{url.host}:{url.port or 'default port'}" if url.host else (url.database or "(default)")
    detail = first_line(exc.orig)
    if url.password:
        detail = detail.replace(str(url.password), "***")
    hint = connection_hint(detail, "source.url (or the block)", url.database)
    return SourceError(
        f"cannot connect to the source database at {where} ({_safe_url(engine)}): {detail}; {hint}"
    )


def describe_source(source: SourceConfig) -> str:
    """How messages name the source: its table, or `source.query`."""
    return f"source table {source.table!r}" if source.table is not None else "source.query"


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _db_message(exc: BaseException) -> str:
    # The driver's own first line, never SQLAlchemy's rendering (which appends SQL and parameters);
    # a data error's quoted value (`invalid input syntax for type integer: "abc"`) is cut off.
    line = first_line(getattr(exc, "orig", None) or exc)
    if isinstance(exc, DataError):
        line = re.sub(r"""\s*:\s*["'].*$""", "", line)
    return redact(line)


def first_line(exc: object) -> str:
    """The first non-blank line of `str(exc)`, or the exception's type name when there is none."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__

"""Extract: read the source table or query in keyset pages, inside a read-only transaction.

Paging. Each page is one statement, `SELECT * FROM <table | (query) AS src> WHERE key > :after
[AND (cursor >= :cursor OR cursor IS NULL)] ORDER BY key LIMIT :n`: memory holds one page however
large the source, and any page can be re-read alone (a retried task passes the same `after_key`).
Not the connector block's `fetch_many`: its cursor lives in one block instance (lost across tasks
and retries) and its `fetch_size` defaults to 1. Not OFFSET: the database walks every skipped row,
so a full read costs O(n²/chunk), and rows shift if the source changes mid-read. Each page fetches
one extra row, so a key repeated across a page boundary (which keyset paging would silently skip)
is caught. Rows with a NULL key, which no page reaches, are read apart (`read_null_keys`), so the
transform rejects each as `missing_key` while every other row goes on; and rows of pending contacts
are read again by key (`read_keys`) after the cursor has moved past them.

Incremental. With a cursor column and a stored cursor, rows with `cursor column >= cursor` are read:
`>=`, not `>`, so rows sharing the cursor value but written after the last run are not lost. Rows
already sent come back and are skipped downstream by their payload hash. NULL cursors are always
read (they sort neither before nor after the mark). `Page.max_cursor` is the high-water mark; store
the greatest one only after every page has loaded. Full refresh: no cursor.

Read-only. PostgreSQL, MySQL and Oracle run each page in `SET TRANSACTION READ ONLY`. A SQLite URL
cannot always be reopened with `mode=ro` (`:memory:`, URIs, query strings), so the connection gets
`PRAGMA query_only = ON` for the read and OFF again before it returns to the pool, and a missing
SQLite file is an error instead of being created empty. Other dialects rely on the source user's
grants (which should be read-only anyway). Values are always bound parameters, never formatted into
SQL; identifiers are quoted by the dialect's compiler (`schema.table` names another schema).
Every ordinary mistake raises `SourceError`: one line naming the problem and the fix, with no
password and no row values (`sakari_sync.stages.source_errors` builds them from what the database says).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import URL, Connection, Engine, Select, bindparam, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import column, literal_column, table, text
from sqlalchemy.sql.expression import ColumnClause, ColumnElement, FromClause
from sqlalchemy.types import NullType

from sakari_sync.config import SourceConfig
from sakari_sync.stages.source_db import engine_from_url, engine_scope, read_only
from sakari_sync.stages.source_errors import (
    SourceError,
    check_columns,
    describe_source,
    explain_read_error,
)

__all__ = [
    "Page",
    "SourceError",
    "count_null_keys",
    "engine_from_url",
    "iter_pages",
    "page_through",
    "read_keys",
    "read_null_keys",
    "read_only",
    "read_page",
]

_AFTER, _CURSOR, _LIMIT, _KEYS = "_sakari_after", "_sakari_cursor", "_sakari_limit", "_sakari_keys"
NULL_KEY_ROWS = 10_000  # rows with a NULL key read (and rejected one by one) per run; more are counted


@dataclass(frozen=True, eq=False)  # frames do not compare with ==
class Page:
    """One page of source rows, with the marks the caller needs for the next page and the cursor."""

    rows: pd.DataFrame
    last_key: Any  # pass as `after_key` to read the next page
    max_cursor: Any  # greatest cursor value in this page; None without a cursor column

    @classmethod
    def of(cls, frame: pd.DataFrame, source: SourceConfig) -> Page:
        """Wrap a frame from `read_page`, reading its last key and greatest cursor value."""
        if frame.empty:
            return cls(frame, None, None)
        cursor = source.cursor_column
        try:
            top = max((v for v in frame[cursor] if v is not None), default=None) if cursor else None
        except TypeError:
            raise SourceError(
                f"source cursor column {cursor!r} mixes types that cannot be compared; cast it in a query"
            ) from None
        return cls(frame, frame[source.key_column].iloc[-1], top)


def read_page(
    engine: Engine | str | URL, source: SourceConfig, *, after_key: Any = None, cursor: Any = None
) -> pd.DataFrame:
    """Read the page of up to `source.chunk_size` rows whose key follows `after_key`, in key order.

    `after_key=None` reads the first page; `cursor` (needs `source.cursor_column`) keeps rows whose
    cursor column is >= it, or NULL. Columns hold the driver's Python values (object dtype): no
    integer becomes a float because of a NULL, so phone numbers stored as numbers keep every digit.
    Rows whose key is NULL are not on any page: `read_null_keys` reads them.
    """
    with engine_scope(engine) as eng:
        stmt, params = _page_query(eng, source, after_key, cursor)
        frame = _read(eng, source, stmt, params)
    if frame[source.key_column].duplicated().any():
        raise SourceError(
            f"source key column {source.key_column!r} has duplicate values, so paging by it would skip "
            "rows; set source.key_column to a unique column"
        )
    return frame.iloc[: source.chunk_size].reset_index(drop=True)


def read_null_keys(engine: Engine | str | URL, source: SourceConfig, *, cursor: Any = None) -> pd.DataFrame:
    """The rows whose key is NULL (from `cursor` on), which keyset paging cannot reach: each becomes a
    `missing_key` reject, so one bad row never holds the others back. At most `NULL_KEY_ROWS` are
    read (they are only rejected); `count_null_keys` says how many there are in all."""
    with engine_scope(engine) as eng:
        stmt, params, key = _filtered(eng, source, cursor)
        stmt = stmt.where(key.is_(None)).limit(NULL_KEY_ROWS)
        return _read(eng, source, stmt, params)


def count_null_keys(engine: Engine | str | URL, source: SourceConfig, *, cursor: Any = None) -> int:
    """How many rows (from `cursor` on) have a NULL key."""
    with engine_scope(engine) as eng:
        stmt, params, key = _filtered(eng, source, cursor)
        counted = select(func.count()).select_from(stmt.where(key.is_(None)).subquery())
        with _explained(eng, source) as conn:
            return int(conn.execute(counted, params).scalar_one())


def read_keys(engine: Engine | str | URL, source: SourceConfig, keys: Sequence[str]) -> pd.DataFrame:
    """The rows whose key (as text) is one of `keys`, whatever their cursor: pending contacts read again
    after the cursor has moved past them. Keys are bound as text; the database compares them with the
    key column (PostgreSQL, MySQL and SQLite convert a numeric text to the column's type)."""
    with engine_scope(engine) as eng:
        stmt, params, key = _filtered(eng, source, None)
        stmt = stmt.where(key.in_(bindparam(_KEYS, type_=NullType(), expanding=True)))
        params[_KEYS] = list(keys)
        return _read(eng, source, stmt, params)


def _read(engine: Engine, source: SourceConfig, stmt: Select[Any], params: dict[str, Any]) -> pd.DataFrame:
    """Run one read-only select of the source into a frame of the driver's values."""
    with _explained(engine, source) as conn:
        result = conn.execute(stmt, params)
        names = list(result.keys())
        rows = result.fetchall()
    check_columns(names, source, where=describe_source(source))
    return pd.DataFrame([tuple(r) for r in rows], columns=names, dtype=object)


@contextmanager
def _explained(engine: Engine, source: SourceConfig) -> Iterator[Connection]:
    """A read-only connection whose database errors become one SourceError naming the setting."""
    try:
        with read_only(engine) as conn:
            yield conn
    except SQLAlchemyError as exc:
        probe = _select_all(_source_clause(source)).limit(0)  # the columns, no rows
        raise explain_read_error(
            engine, source, exc, read_only=read_only, probe=probe, params=_user_params(source)
        ) from None


PageReader = Callable[[Any, int], Page]
"""Reads the page after a key (None: the first page); the int is the page's number, from 0."""


def iter_pages(
    engine: Engine | str | URL, source: SourceConfig, *, cursor: Any = None, after_key: Any = None
) -> Iterator[Page]:
    """Yield every page of the source in key order, one page in memory at a time."""
    with engine_scope(engine) as eng:

        def read(after: Any, _page_no: int) -> Page:
            return Page.of(read_page(eng, source, after_key=after, cursor=cursor), source)

        yield from page_through(read, source.chunk_size, after_key=after_key)


def page_through(read: PageReader, chunk_size: int, *, after_key: Any = None) -> Iterator[Page]:
    """The paging loop: read page after page by key until a short or empty one. `read` may be a
    Prefect task (one task run per page) or plain `read_page`."""
    for page_no in itertools.count():
        page = read(after_key, page_no)
        if page.rows.empty:
            return
        yield page
        if len(page.rows) < chunk_size:
            return  # a short page is the last one: no need to ask for an empty one
        after_key = page.last_key


def _source_clause(source: SourceConfig) -> FromClause:
    names = dict.fromkeys(c for c in (source.key_column, source.cursor_column) if c is not None)
    cols: list[ColumnClause[Any]] = [column(n) for n in names]
    if source.table is not None:
        schema, _, name = source.table.rpartition(".")
        return table(name, *cols, schema=schema or None)
    assert source.query is not None  # SourceConfig guarantees exactly one of table and query
    return text(source.query.strip().rstrip(";")).columns(*cols).subquery("src")


def _filtered(
    engine: Engine, source: SourceConfig, cursor: Any
) -> tuple[Select[Any], dict[str, Any], ColumnElement[Any]]:
    """Every source row from `cursor` on (None: every row), the bound parameters, and the key column."""
    params = _user_params(source)
    src = _source_clause(source)
    stmt = _select_all(src)
    if cursor is not None:
        if source.cursor_column is None:
            raise SourceError("a stored cursor needs source.cursor_column; set it, or run a full refresh")
        column = src.c[source.cursor_column]
        stmt = stmt.where(or_(column >= _bind(_CURSOR), column.is_(None)))
        params[_CURSOR] = _bind_value(engine, cursor)
    return stmt, params, src.c[source.key_column]


def _page_query(
    engine: Engine, source: SourceConfig, after_key: Any, cursor: Any
) -> tuple[Select[Any], dict[str, Any]]:
    stmt, params, key = _filtered(engine, source, cursor)
    if after_key is None:
        stmt = stmt.where(key.is_not(None))  # NULL keys sort first (or last): read_null_keys reads them
    else:
        stmt = stmt.where(key > _bind(_AFTER))
        params[_AFTER] = _bind_value(engine, after_key)
    params[_LIMIT] = source.chunk_size + 1  # one row more than a page: a key repeated across
    return stmt.order_by(key).limit(_bind(_LIMIT)), params  # the boundary shows up as a duplicate


def _select_all(src: FromClause) -> Select[Any]:
    return select(literal_column("*")).select_from(src)


def _bind(name: str) -> ColumnElement[Any]:
    # Untyped, so drivers adapt the value themselves: no `::VARCHAR` cast against a timestamp
    # column when a stored cursor comes back as a string, no int4 cast of a bigint key.
    return bindparam(name, type_=NullType())


def _bind_value(engine: Engine, value: Any) -> Any:
    # sqlite3's implicit date adapters are deprecated; this is the text they produced.
    if engine.dialect.name == "sqlite" and hasattr(value, "isoformat"):
        return str(value)
    return value


def _user_params(source: SourceConfig) -> dict[str, Any]:
    if source.query is None:
        if source.params:
            raise SourceError("source.params only apply to source.query; remove them or use a query")
        return {}
    wanted = set(text(source.query).compile().params)
    for name in sorted(wanted - source.params.keys()):
        raise SourceError(f"source.query uses :{name} but source.params has no value for it; add one")
    for name in sorted(source.params.keys() - wanted):
        raise SourceError(f"source.params has {name!r} but source.query has no :{name}; fix the name")
    for name in sorted(wanted & {_AFTER, _CURSOR, _LIMIT, _KEYS}):
        raise SourceError(f"source.query may not use the reserved parameter :{name}; rename it")
    return dict(source.params)

"""The source database's connections: an Engine from `source.url`, read-only transactions, and what
is checked before connecting. Every mistake raises `SourceError` naming the setting (see extract.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from sakari_sync.errors import SourceError
from sakari_sync.stages.source_errors import first_line, unreachable_error

_READ_ONLY_SQL = dict.fromkeys(["postgresql", "mysql", "mariadb", "oracle"], "SET TRANSACTION READ ONLY")
_READ_ONLY_SQL["sqlite"] = "PRAGMA query_only = ON"


def engine_from_url(url: str | URL) -> Engine:
    """The source Engine for `source.url`. Nothing connects until the first read (so an unreachable
    server is reported there); the caller owns the engine and should `dispose()` it."""
    if str(url).startswith("postgres://"):
        raise SourceError(
            "source.url starts with postgres://, which SQLAlchemy does not read; write postgresql+psycopg://"
        )
    try:
        engine = create_engine(url)
    except ModuleNotFoundError as exc:
        raise SourceError(
            f"source.url needs the Python package {exc.name!r}, which is not installed; install it "
            "(pip install 'sakari-sync[postgres]' for postgresql+psycopg://) or pick another driver"
        ) from None
    except ArgumentError as exc:
        raise SourceError(f"source.url is not a usable SQLAlchemy URL ({first_line(exc)}); fix it") from None
    if engine.dialect.is_async:
        engine.dispose()
        raise SourceError(f"source.url uses the async driver {engine.driver!r}; use a sync driver instead")
    return engine


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read-only transaction (where the dialect has one), rolled back after."""
    _check_sqlite_file(engine)
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise unreachable_error(engine, exc) from None
    with conn:
        trans = conn.begin()
        try:
            if engine.dialect.name in _READ_ONLY_SQL:
                conn.exec_driver_sql(_READ_ONLY_SQL[engine.dialect.name])
            yield conn
        finally:
            trans.rollback()
            if engine.dialect.name == "sqlite":  # the setting outlives the transaction: undo it
                conn.exec_driver_sql("PRAGMA query_only = OFF")


@contextmanager
def engine_scope(engine: Engine | str | URL) -> Iterator[Engine]:
    """The engine given, or one made from a URL for the duration (then disposed)."""
    if isinstance(engine, Engine):
        yield engine
        return
    owned = engine_from_url(engine)
    try:
        yield owned
    finally:
        owned.dispose()


def _check_sqlite_file(engine: Engine) -> None:
    url = engine.url
    database = url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or url.query.get("uri"):
        return
    if not Path(database).exists():
        raise SourceError(f"SQLite database file {database!r} does not exist; check source.url")

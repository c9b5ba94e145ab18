"""Opening the state database: connect, then bring its tables to this release's shape with Alembic.

Every open runs the migrations in `migrations/versions/` that the database has not had yet, so a
state database kept across releases (SQLite file or PostgreSQL) is upgraded in place, its ledger,
opt-outs and cursors intact. The version is kept in `sakari_alembic_version`, so the state tables can
share a database with an application that has its own `alembic_version`. A database made by the first
release (tables, no version table) is recognised and stamped as revision 0001 before upgrading.
Opening a database that is already current costs one small query.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from sakari_client.redaction import redact
from sakari_sync.errors import StateError, connection_hint

VERSION_TABLE = "sakari_alembic_version"
FIRST_RELEASE = "0001"
_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x5A4B_A121  # pg_advisory_xact_lock key: two runs opening a new database migrate in turn


def connect_state(url: str) -> Engine:
    """Open the state database at `url` and migrate it to the current schema; `StateError` if it
    cannot be opened (one line naming `state_url` and what is wrong, never a password)."""
    engine = _create_engine(url)
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise _unusable(engine, exc) from None
    return engine


def migrate(engine: Engine) -> None:
    """Run the migrations this database has not had yet (none when it is current)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        current = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        if current == _script().get_current_head():
            return
        config = _config(conn)
        if current is None and sa.inspect(conn).has_table("sakari_ledger"):
            command.stamp(config, FIRST_RELEASE)  # made by the first release, which had no migrations
        command.upgrade(config, "head")


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(_MIGRATIONS))


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _create_engine(url: str) -> Engine:
    if url.startswith("postgres://"):
        raise StateError(
            "state_url starts with postgres://, which SQLAlchemy does not read; write postgresql+psycopg://"
        )
    try:
        engine = sa.create_engine(url)
    except ModuleNotFoundError as exc:
        raise StateError(
            f"state_url needs the Python package {exc.name!r}, which is not installed; install it "
            "(pip install 'sakari-sync[postgres]' for postgresql+psycopg://)"
        ) from None
    except ArgumentError as exc:
        raise StateError(f"state_url is not a usable SQLAlchemy URL ({_first_line(exc)}); fix it") from None
    if engine.dialect.name == "sqlite":
        _check_sqlite_folder(engine)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _check_sqlite_folder(engine: Engine) -> None:
    database = engine.url.database or ""
    if database in ("", ":memory:") or engine.url.query.get("uri"):
        return
    folder = Path(database).expanduser().absolute().parent
    if not folder.is_dir():
        raise StateError(
            f"state_url points at {database}, whose folder {folder} does not exist; create the folder or "
            "fix state_url"
        )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _unusable(engine: Engine, exc: DBAPIError) -> StateError:
    """One line for a state database that refused the connection or the migration."""
    url = engine.url
    where = f"{url.host}:{url.port or 'default port'}/{url.database}" if url.host else (url.database or "")
    detail = _first_line(exc.orig)
    if url.password:
        detail = detail.replace(str(url.password), "***")
    hint = connection_hint(detail, "state_url", url.database)
    return StateError(f"state_url: cannot open the state database {where}: {redact(detail)}; {hint}")


def _first_line(exc: object) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__

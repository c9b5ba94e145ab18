"""The state database's tables, and how a connection to it is opened.

One SQLAlchemy schema serves SQLite (the default, a file beside the project) and PostgreSQL (production).

- `sakari_ledger`: one row per (sync, E.164 mobile): the source key that owns it, the hash and body of the
  payload Sakari last accepted, Sakari's contact id, the status (synced, suppressed, rejected, failed) and
  the last error. A payload is sent only when its hash differs from the accepted one or the last attempt
  did not succeed.
- `sakari_staging`: this run's transformed rows; de-duplication by mobile happens here, across chunks.
- `sakari_outcomes`: what each run did to each contact it sent (the row log a warehouse can join).
- `sakari_rejects`: the latest run's rejected rows with their reason codes (masked, never a full phone).
- `sakari_watermarks`, `sakari_optouts`, `sakari_rates`: the incremental cursor, the opt-outs for the
  warehouse to honour, and the learned request rate. (`sakari_locks` lives in `sakari_sync.state.lock`.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

# De-duplication compares cursor_sort and source_key code point by code point (the transform's rule):
# PostgreSQL's default collation would not, so those columns use "C" there (SQLite compares binary).
_BINARY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")

ledger = sa.Table(
    "sakari_ledger",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("mobile", sa.String(20), primary_key=True),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("payload_hash", sa.String(64)),
    sa.Column("payload", sa.Text),
    sa.Column("contact_id", sa.String(64)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

staging = sa.Table(
    "sakari_staging",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("source_key", _BINARY_TEXT, nullable=False),
    sa.Column("mobile", sa.String(20), nullable=False),
    sa.Column("cursor_sort", _BINARY_TEXT, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("is_winner", sa.Boolean, nullable=False, default=True),
    sa.Index("ix_sakari_staging_run_mobile", "run_id", "mobile"),
)

rejects = sa.Table(
    "sakari_rejects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("source_key", sa.String(200)),
    sa.Column("reason", sa.String(50), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("mobile_masked", sa.String(40)),
)

watermarks = sa.Table(
    "sakari_watermarks",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

outcomes = sa.Table(
    "sakari_outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("mobile", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

optouts = sa.Table(
    "sakari_optouts",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("mobile", sa.String(20), primary_key=True),
    sa.Column("source_key", sa.String(200)),
    sa.Column("contact_id", sa.String(64)),
    sa.Column("blocked_at", sa.String(40)),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

rates = sa.Table(
    "sakari_rates",
    metadata,
    sa.Column("endpoint", sa.String(300), primary_key=True),
    sa.Column("rate", sa.Float, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

SENT_OK = ("synced",)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def upsert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, update: Sequence[str]
) -> None:
    """Insert `rows`, or on a primary-key clash update the columns `update` names: one executemany.

    SQLite and PostgreSQL do it in one `INSERT ... ON CONFLICT DO UPDATE`; other dialects fall back
    to an UPDATE per row, then an INSERT where it found none. The rows must not repeat a key.
    """
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    insert = _DIALECT_INSERTS.get(conn.dialect.name)
    if insert is not None:
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
        conn.execute(stmt, list(rows))
        return
    for row in rows:
        where = [table.c[k] == row[k] for k in keys]
        found = conn.execute(table.update().where(*where).values({c: row[c] for c in update}))
        if found.rowcount == 0:
            conn.execute(table.insert().values(row))


_DIALECT_INSERTS: dict[str, Any] = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def connect_state(url: str) -> Engine:
    """Open the state database and create its tables if they are missing."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    return engine


def encode_cursor(value: Any) -> str:
    """Store a cursor value with its type, so it comes back as the same Python type."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return json.dumps({"t": "datetime", "v": value.isoformat()})
    if isinstance(value, dt.date):
        return json.dumps({"t": "date", "v": value.isoformat()})
    if isinstance(value, Decimal):
        return json.dumps({"t": "decimal", "v": str(value)})
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return json.dumps({"t": type(value).__name__, "v": value})


def decode_cursor(text: str) -> Any:
    raw = json.loads(text)
    kind, value = raw["t"], raw["v"]
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value

"""The state database's tables (as the latest migration leaves them) and the upsert they share.

One schema serves SQLite (the default, a file beside the project) and PostgreSQL (production). The
tables change only through the migrations in `sakari_sync/state/migrations/` (see `database.py`);
this module describes their current shape for the queries.

- `sakari_syncs`: one row per sync: its incremental cursor (the greatest cursor value loaded), the
  fingerprint of the settings that shape payloads, and when the whole account was last read back.
- `sakari_ledger`: one row per (sync, E.164 mobile): the source key that owns it, the hash and body of
  the payload Sakari last accepted, Sakari's contact id, the status (`LedgerStatus`) and the last
  refusal (code and message). A payload is sent when its hash differs from the accepted one or the
  last attempt did not succeed. It also keeps the fingerprint of the source row the payload was built
  from (`stages/fingerprint.py`) and, while other source rows share the contact's mobile, the winning
  row's cursor sort key (`cursor_sort`; NULL otherwise).
- `sakari_staging`: this run's transformed rows; de-duplication by mobile happens here, across pages.
- `sakari_outcomes`: what each run did to each contact it sent (the row log a warehouse can join).
- `sakari_rejects`: the latest run's rejected rows with their reason codes (masked, never a full phone),
  and the row fingerprint of those the transform rejected (kept into the next run, which re-uses them).
- `sakari_optouts`: the mobiles that opted out, for the warehouse to honour.
- `sakari_rates`: the request rate learned per Sakari account; `sakari_locks`: one run per sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

metadata = sa.MetaData()

FINGERPRINT = "source_fingerprint"
"""The column (staging and ledger) holding a row fingerprint: see stages/fingerprint.py."""

# De-duplication compares cursor_sort and source_key code point by code point (see staging.py):
# PostgreSQL's default collation would not, so those columns use "C" there (SQLite compares binary).
BINARY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
NOW = sa.DateTime(timezone=True)

syncs = sa.Table(
    "sakari_syncs",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("cursor", sa.Text),
    sa.Column("settings_fingerprint", sa.String(64)),
    sa.Column("settings", sa.Text),  # the settings that shape payloads, as canonical JSON
    sa.Column("settings_changed_at", NOW),
    sa.Column("full_reconcile_at", NOW),
    sa.Column("updated_at", NOW, nullable=False),
)

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
    sa.Column("last_error_code", sa.String(60)),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", NOW, nullable=False),
    sa.Column("source_fingerprint", sa.String(64)),
    sa.Column("cursor_sort", BINARY_TEXT),
    sa.Index("ix_sakari_ledger_source_key", "sync_name", "source_key"),
    # What the skip of unchanged rows reads (state/known.py), so that it never reads the wide rows.
    sa.Index(
        "ix_sakari_ledger_known",
        "sync_name",
        "status",
        "source_key",
        "source_fingerprint",
        "mobile",
        "cursor_sort",
    ),
)

staging = sa.Table(
    "sakari_staging",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("source_key", BINARY_TEXT, nullable=False),
    sa.Column("mobile", sa.String(20), nullable=False),
    sa.Column("cursor_sort", BINARY_TEXT, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("is_winner", sa.Boolean, nullable=False, default=True),
    sa.Column("source_fingerprint", sa.String(64)),
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
    sa.Column("kind", sa.String(10), nullable=False, server_default="row"),  # row or field
    sa.Column("source_fingerprint", sa.String(64)),  # of a row the transform rejected
    sa.Index("ix_sakari_rejects_key", "sync_name", "source_key"),
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
    sa.Column("error_code", sa.String(60)),
    sa.Column("error", sa.Text),
    sa.Column("at", NOW, nullable=False),
)

optouts = sa.Table(
    "sakari_optouts",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("mobile", sa.String(20), primary_key=True),
    sa.Column("source_key", sa.String(200)),
    sa.Column("contact_id", sa.String(64)),
    sa.Column("blocked_at", sa.String(40)),
    sa.Column("recorded_at", NOW, nullable=False),
)

rates = sa.Table(
    "sakari_rates",
    metadata,
    sa.Column("endpoint", sa.String(300), primary_key=True),
    sa.Column("rate", sa.Float, nullable=False),
    sa.Column("updated_at", NOW, nullable=False),
)

locks = sa.Table(
    "sakari_locks",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("flow_run_id", sa.String(36)),
    sa.Column("acquired_at", NOW, nullable=False),
    sa.Column("expires_at", NOW, nullable=False),
)


KEPT_LOSER = sa.and_(
    staging.c.is_winner.is_(False), staging.c.source_fingerprint.is_not(None), staging.c.payload != ""
)
"""A staged row a run keeps for the next (`Staging.clear`): one that lost the de-duplication, transformed
(a row staged unchanged has no payload of its own) and fingerprinted."""


def opted_out(sync_name: str, mobile: sa.ColumnElement[str]) -> sa.Exists:
    """Whether the sync knows `mobile` (a column of the enclosing query) opted out."""
    return (
        sa.select(sa.literal(1)).where(optouts.c.sync_name == sync_name, optouts.c.mobile == mobile).exists()
    )


_DRIVER_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # paramstyles insert_rows writes


def insert_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows of plain values in one executemany of the driver's own statement.

    SQLAlchemy's `insert()` builds a parameter dict per row and processes it, which costs more than
    SQLite's insert itself on a large page; the driver's `executemany` takes the tuples as they are.
    Drivers with another parameter style take the SQLAlchemy path.
    """
    if not rows:
        return
    marker = _DRIVER_MARKERS.get(conn.dialect.paramstyle)
    if marker is None:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    conn.exec_driver_sql(_insert_sql(conn, table, columns, marker), list(rows))


def _insert_sql(conn: sa.Connection, table: sa.Table, columns: Sequence[str], marker: str) -> str:
    """The driver's own `INSERT INTO table (columns) VALUES (markers)`."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join([marker] * len(columns))
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608  # names from the schema


def upsert_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    update: Sequence[str],
) -> None:
    """`upsert` for rows of plain values in `columns` order, through the driver's own executemany:
    as `insert_rows` is to `insert()` (SQLAlchemy's upsert builds and processes a dict per row, more
    CPU than SQLite's own work on a batch of ledger rows). Values go to the driver untouched (see
    `bound`). SQLite and PostgreSQL take one `INSERT ... ON CONFLICT DO UPDATE`; other dialects an
    UPDATE per row, then an INSERT where it found none; other parameter styles take `upsert`. The
    rows must not repeat a key, and `update` must name at least one column."""
    if not rows:
        return
    marker = _DRIVER_MARKERS.get(conn.dialect.paramstyle)
    if marker is None:
        upsert(conn, table, [dict(zip(columns, row, strict=True)) for row in rows], update=update)
        return
    quote = conn.dialect.identifier_preparer.quote
    keys = [c.name for c in table.primary_key.columns]
    insert = _insert_sql(conn, table, columns, marker)
    if conn.dialect.name in _DIALECT_INSERTS:
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
        on_conflict = f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {sets}"
        conn.exec_driver_sql(insert + on_conflict, list(rows))
        return
    sets = ", ".join(f"{quote(c)} = {marker}" for c in update)
    where = " AND ".join(f"{quote(k)} = {marker}" for k in keys)
    change = f"UPDATE {quote(table.name)} SET {sets} WHERE {where}"  # noqa: S608  # names from the schema
    at = {name: i for i, name in enumerate(columns)}
    for row in rows:
        found = conn.exec_driver_sql(change, tuple(row[at[c]] for c in (*update, *keys)))
        if found.rowcount == 0:
            conn.exec_driver_sql(insert, tuple(row))


def bound(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as SQLAlchemy would hand it to the driver for `column` (e.g. a datetime as SQLite's
    text), for `insert_rows`, which passes values through untouched (unless it takes SQLAlchemy's
    path: then `value` as it is)."""
    if conn.dialect.paramstyle not in _DRIVER_MARKERS:
        return value
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


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

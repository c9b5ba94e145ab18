"""One row per sync holds its cursor and settings fingerprint (was `sakari_watermarks`); refusals keep
Sakari's code apart; the ledger remembers each owner's source fingerprint; a lock names its flow run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The first release wrote a refusal as one string, "CODE: message" (or "STATUS: message" when Sakari
gave no code). The code moves to its own column, `last_error_code` in the ledger and `error_code` in
the row log, so nothing splits strings again; existing rows are split once here, a page at a time.
`sakari_locks.flow_run_id` lets a run that takes over a dead run's lock mark that flow run Crashed.
`sakari_syncs` also keeps the fingerprint of the settings that shape payloads (a change re-reads every
row) and when the whole account was last read back. The ledger keeps the fingerprint of the source
values its payload was built from and the owner's cursor sort key (unchanged rows skip the
transform), indexed by source key; `sakari_probe` holds a page's keys and fingerprints while a run
looks them up in the ledger. Rejects say whether a whole row or one field was rejected, and keep the
row fingerprint of a row the transform rejected (the next run re-uses the reject while it holds).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)
_BINARY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_OLD_ERROR = re.compile(r"(?P<code>[A-Za-z][\w-]{0,59}): (?P<message>.*)", re.S)
_NO_CODE = "None"  # what the first release wrote when a failure had neither code nor status
_PAGE = 1000


def upgrade() -> None:
    op.create_table(
        "sakari_syncs",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("settings_fingerprint", sa.String(64)),
        sa.Column("settings", sa.Text),
        sa.Column("settings_changed_at", _AT),
        sa.Column("full_reconcile_at", _AT),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.execute(
        "INSERT INTO sakari_syncs (sync_name, cursor, updated_at) "
        "SELECT sync_name, cursor, updated_at FROM sakari_watermarks"
    )
    op.drop_table("sakari_watermarks")
    op.add_column("sakari_ledger", sa.Column("last_error_code", sa.String(60)))
    op.add_column("sakari_outcomes", sa.Column("error_code", sa.String(60)))
    op.add_column("sakari_locks", sa.Column("flow_run_id", sa.String(36)))
    op.add_column("sakari_ledger", sa.Column("source_fingerprint", sa.String(64)))
    op.add_column("sakari_ledger", sa.Column("cursor_sort", _BINARY_TEXT))
    op.create_index("ix_sakari_ledger_source_key", "sakari_ledger", ["sync_name", "source_key"])
    op.add_column("sakari_staging", sa.Column("source_fingerprint", sa.String(64)))
    op.add_column("sakari_rejects", sa.Column("kind", sa.String(10), nullable=False, server_default="row"))
    op.add_column("sakari_rejects", sa.Column("source_fingerprint", sa.String(64)))
    op.create_index("ix_sakari_rejects_key", "sakari_rejects", ["sync_name", "source_key"])
    op.create_table(
        "sakari_probe",
        sa.Column("run_id", sa.String(64), nullable=False, index=True),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("source_fingerprint", sa.String(64), nullable=False),
        sa.Column("cursor_sort", _BINARY_TEXT, nullable=False),
    )
    _split_errors("sakari_ledger", ("sync_name", "mobile"), "last_error", "last_error_code")
    _split_errors("sakari_outcomes", ("id",), "error", "error_code")


def _split_errors(table: str, keys: tuple[str, ...], message: str, code: str) -> None:
    """Rewrite "CODE: message" as (code, message), reading the rows in key order a page at a time."""
    conn = op.get_bind()
    t = sa.table(table, *(sa.column(k) for k in keys), sa.column(message), sa.column(code))
    key = sa.tuple_(*(t.c[k] for k in keys)) if len(keys) > 1 else t.c[keys[0]]
    after: tuple[object, ...] | None = None
    while True:
        q = sa.select(t).where(t.c[message].is_not(None)).order_by(*(t.c[k] for k in keys)).limit(_PAGE)
        if after is not None:
            q = q.where(key > (sa.tuple_(*after) if len(keys) > 1 else after[0]))
        rows = conn.execute(q).all()
        if not rows:
            return
        for row in rows:
            values = _split(row._mapping[message])
            if values is not None:
                where = [t.c[k] == row._mapping[k] for k in keys]
                conn.execute(t.update().where(*where).values({code: values[0], message: values[1]}))
        after = tuple(rows[-1]._mapping[k] for k in keys)


def _split(text: str) -> tuple[str | None, str] | None:
    found = _OLD_ERROR.fullmatch(text)
    if found is None:
        return None
    return (None if found["code"] == _NO_CODE else found["code"]), found["message"]


def downgrade() -> None:
    op.drop_table("sakari_probe")
    op.create_table(
        "sakari_watermarks",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.execute(
        "INSERT INTO sakari_watermarks (sync_name, cursor, updated_at) "
        "SELECT sync_name, cursor, updated_at FROM sakari_syncs WHERE cursor IS NOT NULL"
    )
    op.drop_table("sakari_syncs")
    with op.batch_alter_table("sakari_locks") as batch:
        batch.drop_column("flow_run_id")
    op.drop_index("ix_sakari_rejects_key", "sakari_rejects")
    with op.batch_alter_table("sakari_rejects") as batch:
        batch.drop_column("source_fingerprint")
        batch.drop_column("kind")
    with op.batch_alter_table("sakari_staging") as batch:
        batch.drop_column("source_fingerprint")
    op.drop_index("ix_sakari_ledger_source_key", "sakari_ledger")
    with op.batch_alter_table("sakari_ledger") as batch:
        batch.drop_column("cursor_sort")
        batch.drop_column("source_fingerprint")
    with op.batch_alter_table("sakari_outcomes") as batch:
        batch.drop_column("error_code")
    with op.batch_alter_table("sakari_ledger") as batch:
        batch.drop_column("last_error_code")

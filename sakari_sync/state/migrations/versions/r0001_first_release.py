"""The state tables of the first release (0.1.0), which made them with `create_all`.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BINARY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sakari_ledger",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("mobile", sa.String(20), primary_key=True),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("payload_hash", sa.String(64)),
        sa.Column("payload", sa.Text),
        sa.Column("contact_id", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "sakari_staging",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sync_name", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_key", _BINARY_TEXT, nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("cursor_sort", _BINARY_TEXT, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("is_winner", sa.Boolean, nullable=False),
    )
    op.create_index("ix_sakari_staging_run_mobile", "sakari_staging", ["run_id", "mobile"])
    op.create_table(
        "sakari_rejects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sync_name", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(200)),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("mobile_masked", sa.String(40)),
    )
    op.create_index("ix_sakari_rejects_run_id", "sakari_rejects", ["run_id"])
    op.create_table(
        "sakari_watermarks",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "sakari_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sync_name", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("at", _AT, nullable=False),
    )
    op.create_index("ix_sakari_outcomes_run_id", "sakari_outcomes", ["run_id"])
    op.create_table(
        "sakari_optouts",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("mobile", sa.String(20), primary_key=True),
        sa.Column("source_key", sa.String(200)),
        sa.Column("contact_id", sa.String(64)),
        sa.Column("blocked_at", sa.String(40)),
        sa.Column("recorded_at", _AT, nullable=False),
    )
    op.create_table(
        "sakari_rates",
        sa.Column("endpoint", sa.String(300), primary_key=True),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "sakari_locks",
        sa.Column("sync_name", sa.String(200), primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("acquired_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "sakari_locks",
        "sakari_rates",
        "sakari_optouts",
        "sakari_outcomes",
        "sakari_watermarks",
        "sakari_rejects",
        "sakari_staging",
        "sakari_ledger",
    ):
        op.drop_table(table)

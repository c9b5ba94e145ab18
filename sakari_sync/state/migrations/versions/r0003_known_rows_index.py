"""The skip of unchanged rows reads what the ledger knows from one covering index; the probe table
it used to write into goes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

A full refresh compares every source row with the ledger (`state/known.py`). It reads, for every
synced contact, the source key, the row fingerprint, the mobile and whether other rows shared that
mobile (`cursor_sort`): `ix_sakari_ledger_known` holds exactly those, so the read never touches the
ledger's rows (their payloads make them wide). The lookup is done in memory now, so `sakari_probe`,
where 0002 put each page's keys to join them with the ledger, is dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BINARY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_KNOWN = ["sync_name", "status", "source_key", "source_fingerprint", "mobile", "cursor_sort"]


def upgrade() -> None:
    op.create_index("ix_sakari_ledger_known", "sakari_ledger", _KNOWN)
    op.drop_table("sakari_probe")


def downgrade() -> None:
    op.create_table(
        "sakari_probe",
        sa.Column("run_id", sa.String(64), nullable=False, index=True),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("source_fingerprint", sa.String(64), nullable=False),
        sa.Column("cursor_sort", _BINARY_TEXT, nullable=False),
    )
    op.drop_index("ix_sakari_ledger_known", "sakari_ledger")

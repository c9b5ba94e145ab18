"""The state database as the first release (0.1.0) made it, with `metadata.create_all` and no migrations:
its tables exactly, and a few rows of every kind, for the upgrade tests."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

metadata = sa.MetaData()
_KEY_TEXT = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_AT = sa.DateTime(timezone=True)

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
    sa.Column("updated_at", _AT, nullable=False),
)
staging = sa.Table(
    "sakari_staging",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("source_key", _KEY_TEXT, nullable=False),
    sa.Column("mobile", sa.String(20), nullable=False),
    sa.Column("cursor_sort", _KEY_TEXT, nullable=False),
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
    sa.Column("updated_at", _AT, nullable=False),
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
    sa.Column("at", _AT, nullable=False),
)
optouts = sa.Table(
    "sakari_optouts",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("mobile", sa.String(20), primary_key=True),
    sa.Column("source_key", sa.String(200)),
    sa.Column("contact_id", sa.String(64)),
    sa.Column("blocked_at", sa.String(40)),
    sa.Column("recorded_at", _AT, nullable=False),
)
rates = sa.Table(
    "sakari_rates",
    metadata,
    sa.Column("endpoint", sa.String(300), primary_key=True),
    sa.Column("rate", sa.Float, nullable=False),
    sa.Column("updated_at", _AT, nullable=False),
)
locks = sa.Table(
    "sakari_locks",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("acquired_at", _AT, nullable=False),
    sa.Column("expires_at", _AT, nullable=False),
)

AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
CURSOR = dt.datetime(2026, 11, 29, 23, 59, 59, 123456)
LEDGER = [
    ("contacts", "+14155550101", "1", "synced", None),
    ("contacts", "+14155550102", "2", "rejected", "EMU-LIST-UNKNOWN: Unknown list id: 5f1c0b"),
    ("contacts", "+14155550103", "3", "failed", "None: ConnectError: connection refused"),
    ("contacts", "+14155550104", "4", "suppressed", None),
    ("contacts", "+14155550105", "5", "failed", "503: Service unavailable"),
]


def create_first_release(engine: sa.Engine) -> None:
    """The first release's tables, with a ledger, opt-outs, a cursor, a row log and a learned rate."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            ledger.insert(),
            [
                {
                    "sync_name": sync,
                    "mobile": mobile,
                    "source_key": key,
                    "payload": json.dumps({"mobile": {"number": mobile}}),
                    "payload_hash": f"hash-{key}",
                    "contact_id": f"c{key}",
                    "status": status,
                    "last_error": error,
                    "updated_at": AT,
                }
                for sync, mobile, key, status, error in LEDGER
            ],
        )
        conn.execute(
            optouts.insert().values(
                sync_name="contacts", mobile="+14155550104", source_key="4", contact_id="c4",
                blocked_at="2026-11-01T00:00:00.000Z", recorded_at=AT,
            )
        )  # fmt: skip
        cursor = json.dumps({"t": "datetime", "v": CURSOR.isoformat()})
        conn.execute(watermarks.insert().values(sync_name="contacts", cursor=cursor, updated_at=AT))
        conn.execute(
            outcomes.insert(),
            [
                {"sync_name": "contacts", "run_id": "r1", "source_key": key, "mobile": mobile,
                 "outcome": "rejected" if error and "LIST" in error else status, "error": error, "at": AT}
                for _, mobile, key, status, error in LEDGER
            ],
        )  # fmt: skip
        conn.execute(
            rates.insert().values(endpoint="https://api.sakari.io/accounts/a", rate=37.5, updated_at=AT)
        )

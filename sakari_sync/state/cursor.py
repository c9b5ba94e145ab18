"""The incremental cursor: the greatest cursor value a sync has loaded, kept with its type.

"Cursor" is the one name for it (the first release also said "watermark"): a run reads rows whose
cursor column is at least the stored cursor, and the cursor moves only after a run that loaded
every row up to it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.state.ledger import now
from sakari_sync.state.schema import syncs, upsert


def read_cursor(engine: Engine, sync_name: str) -> Any:
    """The stored cursor value, or None when the sync has none yet."""
    with engine.connect() as conn:
        text = conn.execute(sa.select(syncs.c.cursor).where(syncs.c.sync_name == sync_name)).scalar()
    return None if text is None else decode_cursor(text)


def write_cursor(engine: Engine, sync_name: str, value: Any) -> None:
    """Store `value` as the sync's cursor."""
    row = {"sync_name": sync_name, "cursor": encode_cursor(value), "updated_at": now()}
    with engine.begin() as conn:
        upsert(conn, syncs, [row], update=("cursor", "updated_at"))


def encode_cursor(value: Any) -> str:
    """A cursor value as text tagged with its type, so it comes back as the same Python type."""
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
    """The value `encode_cursor` stored."""
    raw = json.loads(text)
    kind, value = raw["t"], raw["v"]
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value

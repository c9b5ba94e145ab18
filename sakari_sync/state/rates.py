"""The request rate learned per Sakari account (from its 429s), handed to the next run's client."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.state.ledger import now
from sakari_sync.state.schema import rates, upsert


def read_rate(engine: Engine, endpoint: str) -> float | None:
    """The rate last learned for this account endpoint, in requests/s."""
    with engine.connect() as conn:
        value = conn.execute(sa.select(rates.c.rate).where(rates.c.endpoint == endpoint)).scalar()
    return None if value is None else float(value)


def write_rate(engine: Engine, endpoint: str, rate: float) -> None:
    """Remember the rate learned for this account endpoint."""
    with engine.begin() as conn:
        upsert(
            conn,
            rates,
            [{"endpoint": endpoint, "rate": rate, "updated_at": now()}],
            update=("rate", "updated_at"),
        )

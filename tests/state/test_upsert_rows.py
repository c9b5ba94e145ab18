"""`upsert_rows`: the driver-level upsert the ledger writes with, on each of its paths."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from sakari_sync.state import schema
from sakari_sync.state.database import connect_state
from sakari_sync.state.schema import bound, rates, upsert_rows

COLUMNS = ("endpoint", "rate", "updated_at")
AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _read(engine: sa.Engine) -> dict[str, float]:
    with engine.connect() as conn:
        return {endpoint: rate for endpoint, rate in conn.execute(sa.select(rates.c.endpoint, rates.c.rate))}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    return connect_state(
        request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    )


@pytest.mark.parametrize("path", ["on conflict", "update then insert", "sqlalchemy"])
def test_new_keys_are_inserted_and_known_keys_get_the_update_columns(
    engine: sa.Engine, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every path writes the same rows: the ON CONFLICT statement, the UPDATE-per-row fallback of a
    dialect without one, and SQLAlchemy's `upsert` for a driver whose parameter style it does not write."""
    if path == "update then insert":
        monkeypatch.setattr(schema, "_DIALECT_INSERTS", {})
    elif path == "sqlalchemy":
        monkeypatch.setattr(schema, "_DRIVER_MARKERS", {})
    with engine.begin() as conn:
        stamp = bound(conn, rates.c.updated_at, AT)
        upsert_rows(
            conn, rates, COLUMNS, [("a", 1.0, stamp), ("b", 2.0, stamp)], update=("rate", "updated_at")
        )
    with engine.begin() as conn:
        upsert_rows(conn, rates, COLUMNS, [("b", 5.0, stamp), ("c", 3.0, stamp)], update=("rate",))
    assert _read(engine) == {"a": 1.0, "b": 5.0, "c": 3.0}
    with engine.connect() as conn:
        stored = conn.execute(sa.select(rates.c.updated_at).where(rates.c.endpoint == "b")).scalar_one()
    assert stored.replace(tzinfo=stored.tzinfo or dt.UTC) == AT


def test_no_rows_writes_nothing(sqlite_url: str) -> None:
    """An empty batch is no statement at all."""
    engine = connect_state(sqlite_url)
    with engine.begin() as conn:
        upsert_rows(conn, rates, COLUMNS, [], update=("rate",))
    assert _read(engine) == {}

"""Fixtures for the extract tests: every test that takes `engine` runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

MakeTable = Callable[..., None]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database: a SQLite file, then a fresh PostgreSQL schema."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def make_table(engine: Engine) -> MakeTable:
    """Create `contacts` with an integer key, a text column and a timestamp cursor, holding `rows`."""

    def make(rows: list[dict[str, Any]]) -> None:
        with engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE contacts (id BIGINT PRIMARY KEY, name TEXT, updated_at TIMESTAMP)")
            )
            if rows:
                insert = "INSERT INTO contacts (id, name, updated_at) VALUES (:id, :name, :updated_at)"
                conn.execute(text(insert), rows)

    return make

"""Database fixtures for every suite: a SQLite file, and a fresh PostgreSQL schema per test.

Import them into a conftest (`from tests.conftest_db import postgres_url, sqlite_url`). PostgreSQL is
the local server on 127.0.0.1:5432 (user postgres, trust auth, database `test`). When it cannot be
reached the test is skipped, except under CI (`CI=true`), where it fails: CI must not go green by
skipping the PostgreSQL half.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

PG_HOST, PG_PORT, PG_USER, PG_DB = "127.0.0.1", 5432, "postgres", "test"
POSTGRES_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"
_CONNINFO = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DB} connect_timeout=3"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file in the test's tmp dir (created on first connect)."""
    return f"sqlite:///{tmp_path / 'source.db'}"


@functools.cache
def postgres_unreachable() -> str | None:
    """None when the server answers, else why not (asked once per session)."""
    try:
        with psycopg.connect(_CONNINFO, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL whose search_path is a fresh schema, dropped (with everything in it) after the test."""
    problem = postgres_unreachable()
    if problem is not None:
        why = f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_CONNINFO, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_CONNINFO, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")  # a leaked connection fails the drop, not hangs it
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

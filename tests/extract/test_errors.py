"""Each ordinary mistake is one SourceError line that names the problem and the fix, with no secret."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sakari_sync.config import SourceConfig
from sakari_sync.stages.extract import (
    SourceError,
    count_null_keys,
    engine_from_url,
    iter_pages,
    read_keys,
    read_null_keys,
)
from tests.extract.conftest import MakeTable

ROWS = [{"id": i, "name": f"n{i}", "updated_at": "2024-01-01 00:00:00"} for i in (1, 2, 3)]


def source_error(engine: Engine | str, **kw: Any) -> str:
    """The message of the SourceError that reading this source raises (asserting it is one line)."""
    cursor = kw.pop("cursor", None)
    kw.setdefault("table", None if "query" in kw else "contacts")
    src = SourceConfig(url="sqlite://", chunk_size=kw.pop("chunk_size", 2), **kw)
    with pytest.raises(SourceError) as info:
        list(iter_pages(engine, src, cursor=cursor))
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 400
    return message


def test_missing_table_lists_the_tables_there(engine: Engine, make_table: MakeTable) -> None:
    """A misspelt table names itself and what does exist; the URL is shown without a password."""
    make_table(ROWS)
    message = source_error(engine, table="contacts_v2")
    assert "source table 'contacts_v2' not found" in message
    assert "check source.table (tables and views there: contacts)" in message


def test_missing_key_column_lists_the_columns(engine: Engine, make_table: MakeTable) -> None:
    """A key column the source lacks is named, with the columns it has."""
    make_table(ROWS)
    message = source_error(engine, key_column="contact_id")
    assert message == (
        "source key column 'contact_id' not found in source table 'contacts'; "
        "set source.key_column to one of: id, name, updated_at"
    )


@pytest.mark.parametrize("cursor", [None, "2024-01-01"])
def test_missing_cursor_column_lists_the_columns(
    engine: Engine, make_table: MakeTable, cursor: str | None
) -> None:
    """A cursor column the source lacks is caught on full refreshes too, not only incremental runs."""
    make_table(ROWS)
    message = source_error(
        engine, query="SELECT id, name FROM contacts", cursor_column="updated", cursor=cursor
    )
    assert message == (
        "source cursor column 'updated' not found in source.query; "
        "set source.cursor_column to one of: id, name (or unset it)"
    )


def test_query_syntax_error_carries_the_database_line(engine: Engine, make_table: MakeTable) -> None:
    """A broken query gives the database's own first line, without the SQL or parameter values."""
    make_table(ROWS)
    message = source_error(
        engine, query="SELECT id FORM contacts WHERE name = :n", params={"n": "secret-value"}
    )
    assert message.startswith("source.query failed: ")
    assert message.endswith("; fix the SQL")
    assert "syntax error" in message
    assert "secret-value" not in message


def test_query_parameters_must_match_the_query(engine: Engine, make_table: MakeTable) -> None:
    """A :name without a value, or a value without a :name, is reported before anything runs."""
    make_table(ROWS)
    query = "SELECT * FROM contacts WHERE name = :name"
    assert source_error(engine, query=query) == (
        "source.query uses :name but source.params has no value for it; add one"
    )
    assert source_error(engine, query=query, params={"name": "a", "nme": "b"}) == (
        "source.params has 'nme' but source.query has no :nme; fix the name"
    )


def test_unreachable_database_names_host_and_port_not_password() -> None:
    """A server that does not answer is named by host and port; the password never appears."""
    message = source_error("postgresql+psycopg://reader:hunter2@127.0.0.1:1/warehouse")
    assert message.startswith("cannot connect to the source database at 127.0.0.1:1 ")
    assert "reader:***@127.0.0.1:1/warehouse" in message
    assert "hunter2" not in message


def test_missing_sqlite_file_is_reported_not_created(tmp_path: Path) -> None:
    """Reading a SQLite path that does not exist fails and leaves no empty file behind."""
    path = tmp_path / "nope.db"
    assert (
        source_error(f"sqlite:///{path}") == f"SQLite database file '{path}' does not exist; check source.url"
    )
    assert not path.exists()


def test_duplicate_keys_are_refused(engine: Engine, make_table: MakeTable) -> None:
    """A key that repeats, even exactly across a page boundary, would lose rows, so it is refused."""
    make_table([*ROWS, {"id": 4, "name": "n4", "updated_at": None}])
    expected = "source key column 'k' has duplicate values, so paging by it would skip rows"
    boundary = "SELECT CASE WHEN id = 3 THEN 2 ELSE id END AS k, name FROM contacts"  # keys 1, 2 | 2, 4
    assert source_error(engine, query=boundary, key_column="k", chunk_size=2).startswith(expected)
    inside = "SELECT CASE WHEN id = 2 THEN 1 ELSE id END AS k, name FROM contacts"  # keys 1, 1 | 3, 4
    assert source_error(engine, query=inside, key_column="k", chunk_size=2).startswith(expected)


def test_rows_with_a_null_key_are_read_apart_and_never_stop_the_pages(
    engine: Engine, make_table: MakeTable
) -> None:
    """Keyset pages cannot reach a NULL key: the pages go on without it, and `read_null_keys` reads it
    (the transform rejects it as missing_key), `count_null_keys` counts it."""
    make_table(ROWS)
    query = "SELECT CASE WHEN id = 3 THEN NULL ELSE id END AS k, name FROM contacts"
    src = SourceConfig(url="sqlite://", query=query, key_column="k", chunk_size=2)
    paged = [k for page in iter_pages(engine, src) for k in page.rows["k"]]
    assert None not in paged
    assert len(paged) == len(ROWS) - 1
    nulls = read_null_keys(engine, src)
    assert nulls["k"].tolist() == [None]
    assert count_null_keys(engine, src) == 1


def test_rows_are_read_again_by_key_whatever_their_cursor(engine: Engine, make_table: MakeTable) -> None:
    """Pending contacts' rows are read by key, given as text, even on an integer key column."""
    make_table(ROWS)
    src = SourceConfig(url="sqlite://", table="contacts", chunk_size=2)
    wanted = [str(r["id"]) for r in ROWS[:2]] + ["999"]
    found = read_keys(engine, src, wanted)
    assert sorted(int(k) for k in found["id"]) == sorted(r["id"] for r in ROWS[:2])


def test_a_stored_cursor_needs_a_cursor_column(engine: Engine, make_table: MakeTable) -> None:
    """An incremental read of a source without a cursor column says how to fix the config."""
    make_table(ROWS)
    assert source_error(engine, cursor="2024-01-01") == (
        "a stored cursor needs source.cursor_column; set it, or run a full refresh"
    )


def test_params_with_a_table_are_refused(engine: Engine, make_table: MakeTable) -> None:
    """Parameters only make sense for a query; with a table they are a config mistake."""
    make_table(ROWS)
    message = source_error(engine, params={"country": "US"})
    assert message == "source.params only apply to source.query; remove them or use a query"


def test_async_driver_is_refused() -> None:
    """An async driver URL is refused up front rather than failing deep inside SQLAlchemy."""
    src = SourceConfig(url="sqlite+aiosqlite:///x.db", table="contacts")
    with pytest.raises(
        SourceError, match=r"^source.url uses the async driver 'aiosqlite'; use a sync driver"
    ):
        engine_from_url(src.url or "")


@pytest.mark.skipif(importlib.util.find_spec("pymssql") is not None, reason="pymssql is installed")
def test_missing_driver_package_is_named() -> None:
    """A URL whose driver package is not installed says which package is missing."""
    src = SourceConfig(url="mssql+pymssql://u@db.example/x", table="contacts")
    with pytest.raises(SourceError, match=r"^source.url needs the Python package 'pymssql'"):
        engine_from_url(src.url or "")

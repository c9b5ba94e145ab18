"""Keyset pages, queries with bound parameters, incremental reads and read-only transactions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from sakari_sync.config import SourceConfig
from sakari_sync.stages.extract import iter_pages, read_only, read_page
from tests.extract.conftest import MakeTable

CHUNK = 4


def rows(n: int, stamp: str = "2024-01-01 00:00:00") -> list[dict[str, Any]]:
    return [{"id": i * 10, "name": f"n{i}", "updated_at": stamp} for i in range(1, n + 1)]


def source(**kw: Any) -> SourceConfig:
    kw.setdefault("table", None if "query" in kw else "contacts")
    return SourceConfig(url="sqlite://", chunk_size=kw.pop("chunk_size", CHUNK), **kw)


def ids(engine: Engine, src: SourceConfig, **kw: Any) -> list[int]:
    return [int(i) for page in iter_pages(engine, src, **kw) for i in page.rows["id"]]


@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_pages_cover_every_row_exactly_once(engine: Engine, make_table: MakeTable, n: int) -> None:
    """Across page boundaries each row comes back once, in key order, in pages of chunk_size."""
    make_table(rows(n))
    pages = list(iter_pages(engine, source()))
    assert [len(p.rows) for p in pages] == [CHUNK] * (n // CHUNK) + ([n % CHUNK] if n % CHUNK else [])
    assert ids(engine, source()) == [i * 10 for i in range(1, n + 1)]


def test_query_source_with_bound_parameters(engine: Engine, make_table: MakeTable) -> None:
    """A query source is paged like a table and its :name parameters are bound from params."""
    make_table(rows(10))
    src = source(
        query="SELECT id, name FROM contacts WHERE id >= :low AND name <> :skip;",
        params={"low": 30, "skip": "n5"},
    )
    assert ids(engine, src) == [30, 40, 60, 70, 80, 90, 100]


def test_sql_looking_values_stay_inert(engine: Engine, make_table: MakeTable) -> None:
    """A parameter or a stored value that looks like SQL is data: nothing runs, nothing breaks."""
    evil = "x'; DROP TABLE contacts; --"
    make_table([{"id": 1, "name": evil, "updated_at": "2024-01-01 00:00:00"}])
    src = source(query="SELECT * FROM contacts WHERE name = :name", params={"name": evil})
    assert list(next(iter_pages(engine, src)).rows["name"]) == [evil]
    assert (
        ids(engine, source(query="SELECT * FROM contacts WHERE name = :n", params={"n": "' OR '1'='1"})) == []
    )
    assert ids(engine, source()) == [1]


def test_identifiers_are_quoted_for_the_dialect(engine: Engine) -> None:
    """Table and column names with spaces, capitals or reserved words are quoted, not pasted."""
    with engine.begin() as conn:
        conn.execute(text('CREATE TABLE "Contact List" ("Select" INTEGER PRIMARY KEY, "Order" TEXT)'))
        conn.execute(text("INSERT INTO \"Contact List\" VALUES (1, 'a'), (2, 'b')"))
    src = source(table="Contact List", key_column="Select", cursor_column="Order")
    assert [int(i) for i in next(iter_pages(engine, src, cursor="b")).rows["Select"]] == [2]


def test_incremental_keeps_rows_at_the_stored_cursor(engine: Engine, make_table: MakeTable) -> None:
    """With a stored cursor, rows whose cursor is >= it (ties included) and NULL cursors are read."""
    data = rows(9)
    for row, stamp in zip(data, ["2024-01-01"] * 3 + ["2024-01-02"] * 3 + ["2024-01-03"] * 2, strict=False):
        row["updated_at"] = f"{stamp} 00:00:00"
    data[-1]["updated_at"] = None
    make_table(data)
    src = source(cursor_column="updated_at")
    assert ids(engine, src, cursor="2024-01-02 00:00:00") == [40, 50, 60, 70, 80, 90]
    assert ids(engine, src, cursor="2024-01-03 00:00:00") == [70, 80, 90]


def test_full_refresh_reads_everything_and_reports_the_high_water_mark(
    engine: Engine, make_table: MakeTable
) -> None:
    """Without a stored cursor every row is read; the greatest cursor over all pages is the next one."""
    data = rows(10)
    data[2]["updated_at"] = "2024-03-05 10:00:00"  # on the first page, not the last
    make_table(data)
    pages = list(iter_pages(engine, source(cursor_column="updated_at")))
    assert sum(len(p.rows) for p in pages) == 10
    assert str(max(p.max_cursor for p in pages)) == "2024-03-05 10:00:00"


def test_a_stored_cursor_may_be_a_datetime_or_its_text(engine: Engine, make_table: MakeTable) -> None:
    """A stored cursor works whether it comes back as a datetime or as the string it printed as."""
    import datetime as dt

    data = rows(3)
    data[2]["updated_at"] = "2024-02-01 00:00:00"
    make_table(data)
    src = source(cursor_column="updated_at")
    assert ids(engine, src, cursor=dt.datetime(2024, 2, 1)) == [30]
    assert ids(engine, src, cursor="2024-02-01 00:00:00") == [30]


def test_a_page_can_be_reread_from_its_after_key(engine: Engine, make_table: MakeTable) -> None:
    """read_page(after_key=k) returns the same rows each time, so a retried page task is exact."""
    make_table(rows(10))
    first = read_page(engine, source(), after_key=40)
    assert list(first["id"]) == list(read_page(engine, source(), after_key=40)["id"]) == [50, 60, 70, 80]


def test_large_table_is_read_one_page_per_statement(engine: Engine, make_table: MakeTable) -> None:
    """Iterating a big table fetches lazily, one page (chunk + 1 probe row) per statement."""
    make_table(rows(2_000))
    limits: list[int] = []

    def spy(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        bound = getattr(context, "compiled_parameters", [{}])[0]  # raw driver SQL has none
        if "_sakari_limit" in bound:
            limits.append(bound["_sakari_limit"])

    event.listen(engine, "before_cursor_execute", spy)
    pages = iter_pages(engine, source(chunk_size=150))
    first = next(pages)
    assert len(first.rows) == 150
    assert limits == [151]
    sizes = [len(first.rows)] + [len(p.rows) for p in pages]
    assert max(sizes) == 150
    assert sum(sizes) == 2_000
    assert limits == [151] * len(sizes)


def test_values_keep_their_driver_types(engine: Engine) -> None:
    """Integer columns with NULLs stay exact ints (object dtype), never floats: phones keep digits."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE contacts (id INTEGER PRIMARY KEY, phone BIGINT)"))
        conn.execute(text("INSERT INTO contacts VALUES (1, 14155550123), (2, NULL)"))
    frame = read_page(engine, source())
    assert list(frame["phone"]) == [14155550123, None]


def test_url_string_is_accepted_and_its_engine_disposed(db_url: str, make_table: MakeTable) -> None:
    """iter_pages takes a URL string too, building and disposing its own engine."""
    make_table(rows(5))
    assert [int(i) for p in iter_pages(db_url, source()) for i in p.rows["id"]] == [10, 20, 30, 40, 50]


def test_reads_run_in_a_read_only_transaction(engine: Engine, make_table: MakeTable) -> None:
    """Inside read_only a write fails (PostgreSQL: READ ONLY transaction; SQLite: query_only)."""
    make_table(rows(1))
    with read_only(engine) as conn, pytest.raises(DBAPIError, match=r"(?i)read-only|readonly"):
        conn.execute(text("INSERT INTO contacts (id, name) VALUES (99, 'w')"))
    with engine.begin() as conn:  # the pooled connection is writable again afterwards
        conn.execute(text("INSERT INTO contacts (id, name) VALUES (98, 'ok')"))
    assert ids(engine, source()) == [10, 98]

"""A realistic, messy `contacts` table for the demo, tests and benchmarks: same rows and seed, same table.

Columns: id (key), first_name, last_name, email, phone, country (ISO2, sometimes lower case or NULL),
plan, segments (comma-separated list names), signup_date, lifetime_value, updated_at (the cursor).
Most phones are valid mobiles of a dozen countries, written every way people write them (national,
international, E.164, `00` prefix, missing `+`, dashes, dots, parentheses, `(0)`, padding); no two
people share one. The rest is the mess a sync must survive: about 2.5% duplicate people (same
phone, conflicting fields), 2.5% invalid numbers, 3% fixed lines and toll-free numbers, NULL and
blank phones, extensions, non-ASCII and emoji names, invalid emails. `updated_at` is minute-rounded,
so rows share values. Timestamps come from a fixed epoch, never the clock.

Rows are generated as a stream and inserted in batches, so memory stays flat up to
`max_sample_rows()` (about 3 million). Works on any SQLAlchemy URL (SQLite for the demo); SQLite
and psycopg get a bulk path. The phone number ranges and the ways of writing them live in
`sample_phones`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sakari_sync.sample_phones import is_valid_mobile, table_capacity
from sakari_sync.sample_rows import EPOCH, SEGMENTS, ContactGenerator, number_demand

__all__ = [
    "CONTACTS",
    "EPOCH",
    "SEGMENTS",
    "Mutation",
    "create_sample_warehouse",
    "max_sample_rows",
    "mutate_sample_warehouse",
    "sample_mapping",
    "sample_url",
]

_TEXT = {
    "first_name": 100,
    "last_name": 100,
    "email": 200,
    "phone": 50,
    "country": 2,
    "plan": 20,
    "segments": 200,
}
CONTACTS = sa.Table(
    "contacts",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    *(sa.Column(name, sa.String(size)) for name, size in _TEXT.items()),
    sa.Column("signup_date", sa.Date),
    sa.Column("lifetime_value", sa.Numeric(12, 2, asdecimal=False)),
    sa.Column("updated_at", sa.DateTime),
)

_BATCH = 5_000  # rows per INSERT: memory stays flat, round trips stay few
_COLUMNS = tuple(column.name for column in CONTACTS.columns)
_as_row = operator.itemgetter(*_COLUMNS)  # a generated row as values in column order


@dataclass(frozen=True)
class Mutation:
    """What `mutate_sample_warehouse` changed, by contact id."""

    updated: list[int]
    inserted: list[int]
    invalidated: int | None


def sample_mapping(list_ids: dict[str, str]) -> dict[str, Any]:
    """How the sample warehouse's columns map to Sakari (the demo's, the benchmarks' and the tests')."""
    return {
        "mobile": "phone",
        "country": "country",
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "attributes": {"signupDate": "signup_date", "lifetimeValue": "lifetime_value"},
        "lists": {"column": "segments", "separator": ",", "ids": list_ids},
    }


def sample_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL for `url_or_path`; a plain path means a SQLite file."""
    text = str(url_or_path)
    return text if "://" in text else f"sqlite:///{Path(text)}"


def create_sample_warehouse(url_or_path: str | Path, rows: int, seed: int = 0) -> str:
    """(Re)create the `contacts` table with `rows` messy contacts; returns the database URL.

    Raises ValueError, before touching the database, when `rows` exceeds `max_sample_rows()`.
    """
    if rows > max_sample_rows():
        raise ValueError(f"the sample warehouse holds at most {max_sample_rows():,} rows, not {rows:,}")
    url = sample_url(url_or_path)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            CONTACTS.drop(conn, checkfirst=True)
            CONTACTS.create(conn)
            _insert_rows(conn, _values(ContactGenerator(seed).rows(1, rows)))
    finally:
        engine.dispose()
    return url


@lru_cache(maxsize=1)
def max_sample_rows() -> int:
    """The most rows `create_sample_warehouse` builds (about 3.2 million).

    Up to it, every number range is expected to stay under half drawn, so a draw takes two tries
    at worst and a build never runs out of numbers half-way.
    """
    return min(
        int(table_capacity(region, kind) / 2 / per_row) for (region, kind), per_row in number_demand().items()
    )


def mutate_sample_warehouse(url: str | Path, changes: int, seed: int = 0) -> Mutation:
    """Edit `changes` rows (name/email), add about changes/10 rows, make one valid mobile invalid.

    Every touched row gets an `updated_at` after the current greatest one, as a real edit would
    (edits share timestamps in threes; new rows fall in the hour after the edits). New rows never
    reuse a phone the table was built with.
    """
    rnd = random.Random(seed)
    engine = sa.create_engine(sample_url(url))
    c = CONTACTS.c
    try:
        with engine.begin() as conn:
            low, high, count, latest = conn.execute(
                sa.select(sa.func.min(c.id), sa.func.max(c.id), sa.func.count(), sa.func.max(c.updated_at))
            ).one()
            now = (latest or EPOCH) + dt.timedelta(hours=1)
            # Sample the id range itself rather than millions of ids read back; gaps (deletes) need the list.
            contiguous = count and high - low + 1 == count
            ids = range(low, high + 1) if contiguous else list(conn.scalars(sa.select(c.id).order_by(c.id)))
            updated = sorted(rnd.sample(ids, min(changes, len(ids))))
            _apply_edits(conn, rnd, updated, now)
            first_new, new = (high or 0) + 1, max(1, changes // 10)
            generator = ContactGenerator(seed, start=now, span=dt.timedelta(hours=1), spare=True)
            _insert_rows(conn, _values(generator.rows(first_new, new)))
            invalidated = _invalidate_one(conn, rnd, set(updated), now)
    finally:
        engine.dispose()
    return Mutation(updated, list(range(first_new, first_new + new)), invalidated)


def _apply_edits(conn: sa.Connection, rnd: random.Random, ids: list[int], now: dt.datetime) -> None:
    """Edit `ids` in one executemany per shape of edit."""
    by_shape: defaultdict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for i, cid in enumerate(ids):
        edit = _edit(rnd, i)
        stamp = now + dt.timedelta(minutes=i // 3)
        by_shape[tuple(edit)].append({"cid": cid, "stamp": stamp, **{f"new_{k}": v for k, v in edit.items()}})
    c = CONTACTS.c
    for columns, params in by_shape.items():
        values: dict[str, Any] = {name: sa.bindparam(f"new_{name}") for name in columns}
        statement = sa.update(CONTACTS).where(c.id == sa.bindparam("cid"))
        conn.execute(statement.values(**values, updated_at=sa.bindparam("stamp")), params)


def _edit(rnd: random.Random, i: int) -> dict[str, Any]:
    tag = rnd.randrange(1000, 9999)
    if i % 3 == 0:
        return {"first_name": f"Renamed{tag}"}
    if i % 3 == 1:
        return {"email": f"moved.{tag}@example.org"}
    return {"last_name": f"Changed{tag}", "email": f"both.{tag}@example.net"}


def _invalidate_one(conn: sa.Connection, rnd: random.Random, skip: set[int], now: dt.datetime) -> int | None:
    """Make the first valid mobile not in `skip` invalid; reads rows a page at a time, not the table."""
    c, after = CONTACTS.c, None
    while True:
        page = sa.select(c.id, c.phone, c.country).order_by(c.id).limit(200)
        rows = conn.execute(page if after is None else page.where(c.id > after)).all()
        for cid, phone, country in rows:
            if cid not in skip and is_valid_mobile(phone, country):
                bad = f"+1 (099) 555-01{rnd.randrange(10, 99)}"
                conn.execute(sa.update(CONTACTS).where(c.id == cid).values(phone=bad, updated_at=now))
                return int(cid)
        if not rows:
            return None
        after = rows[-1][0]


def _values(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    return map(_as_row, rows)


def _insert_rows(conn: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert `rows` (values in `_COLUMNS` order) in batches of `_BATCH`, or one COPY on psycopg.

    SQLAlchemy's executemany spends most of a row's time building parameter dicts, so SQLite and
    psycopg get their drivers' bulk paths; other drivers take SQLAlchemy's.
    """
    if conn.dialect.driver == "psycopg":
        _copy_rows(conn, rows)
        return
    send = _send_sqlite if conn.dialect.name == "sqlite" else _send_core
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, _BATCH)):
        send(conn, batch)


def _copy_rows(conn: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in _COLUMNS)
    raw = conn.connection.driver_connection
    assert raw is not None  # an open connection always has its driver's
    # Identifiers only, from the table definition: no values are formatted into the statement.
    with raw.cursor() as cursor, cursor.copy(f"COPY {quote(CONTACTS.name)} ({names}) FROM STDIN") as copy:
        for row in rows:  # psycopg buffers and flushes: memory stays flat
            copy.write_row(row)


def _send_sqlite(conn: sa.Connection, batch: list[tuple[Any, ...]]) -> None:
    """The driver's executemany, with dates and numbers converted by the column types as SQLAlchemy would."""
    dialect = conn.dialect
    steps = [
        (i, col.type.dialect_impl(dialect).bind_processor(dialect)) for i, col in enumerate(CONTACTS.columns)
    ]
    converters = [(i, step) for i, step in steps if step is not None]
    converted = []
    for row in batch:
        values: list[Any] = list(row)
        for i, step in converters:
            values[i] = step(values[i])
        converted.append(tuple(values))
    conn.exec_driver_sql(str(CONTACTS.insert().compile(dialect=dialect)), converted)


def _send_core(conn: sa.Connection, batch: list[tuple[Any, ...]]) -> None:
    conn.execute(CONTACTS.insert(), [dict(zip(_COLUMNS, row, strict=True)) for row in batch])

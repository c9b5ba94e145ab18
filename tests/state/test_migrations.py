"""State databases kept across releases: opening one runs the migrations it has not had, in place,
keeping every ledger row, opt-out and cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sakari_sync.state.cursor import read_cursor
from sakari_sync.state.database import VERSION_TABLE, connect_state
from sakari_sync.state.rates import read_rate
from sakari_sync.state.schema import ledger, optouts, outcomes
from sakari_sync.state.schema import metadata as current
from tests.state.first_release import CURSOR, LEDGER, create_first_release
from tests.state.first_release import metadata as first_release


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file, then a fresh PostgreSQL schema."""
    found: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return found


def _columns(engine: sa.Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def test_a_first_release_database_is_upgraded_with_every_row_intact(url: str) -> None:
    """Ledger rows, their refusals (code split from message), opt-outs, the cursor and the learned rate
    all survive the upgrade from the first release's tables."""
    old = sa.create_engine(url)
    create_first_release(old)
    old.dispose()

    engine = connect_state(url)
    with engine.connect() as conn:
        rows = {r.mobile: r for r in conn.execute(sa.select(ledger))}
        opted_out = conn.execute(sa.select(optouts.c.mobile, optouts.c.source_key)).all()
        logged = conn.execute(
            sa.select(outcomes.c.error_code, outcomes.c.error).order_by(outcomes.c.id)
        ).all()
        version = conn.execute(
            sa.select(sa.column("version_num")).select_from(sa.table(VERSION_TABLE))
        ).scalar()
    assert set(rows) == {mobile for _, mobile, *_ in LEDGER}
    assert {m: (r.source_key, r.status, r.contact_id) for m, r in rows.items()} == {
        mobile: (key, status, f"c{key}") for _, mobile, key, status, _ in LEDGER
    }
    assert (rows["+14155550102"].last_error_code, rows["+14155550102"].last_error) == (
        "EMU-LIST-UNKNOWN",
        "Unknown list id: 5f1c0b",
    )
    assert (rows["+14155550103"].last_error_code, rows["+14155550103"].last_error) == (
        None,
        "ConnectError: connection refused",
    )
    assert (rows["+14155550105"].last_error_code, rows["+14155550105"].last_error) == (
        None,
        "503: Service unavailable",
    )
    assert logged[1] == ("EMU-LIST-UNKNOWN", "Unknown list id: 5f1c0b")
    assert [tuple(r) for r in opted_out] == [("+14155550104", "4")]
    assert read_cursor(engine, "contacts") == CURSOR
    assert read_rate(engine, "https://api.sakari.io/accounts/a") == 37.5
    assert "sakari_watermarks" not in sa.inspect(engine).get_table_names()
    assert version is not None
    engine.dispose()


def test_opening_a_current_database_again_changes_nothing(url: str) -> None:
    """A second open finds the database current: no migration, the same tables."""
    engine = connect_state(url)
    before = _columns(engine)
    engine.dispose()
    engine = connect_state(url)
    assert _columns(engine) == before
    engine.dispose()


def test_a_new_database_gets_the_tables_the_schema_module_describes(url: str) -> None:
    """The migrations and `state/schema.py` agree, table by table and column by column."""
    engine = connect_state(url)
    tables = {t: cols for t, cols in _columns(engine).items() if t != VERSION_TABLE}
    engine.dispose()
    assert tables == {t.name: {c.name for c in t.columns} for t in current.sorted_tables}


def test_the_first_migration_builds_exactly_the_first_release_tables(url: str) -> None:
    """Revision 0001 is the first release's schema, so stamping a first-release database with it is
    truthful."""
    from alembic import command

    from sakari_sync.state.database import _config

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001")
    migrated = {t: cols for t, cols in _columns(engine).items() if t != VERSION_TABLE}
    engine.dispose()
    assert migrated == {t.name: {c.name for c in t.columns} for t in first_release.sorted_tables}

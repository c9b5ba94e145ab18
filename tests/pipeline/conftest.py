"""A small known warehouse, the emulator, and a saved Sakari block, for whole-flow tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sakari_sync.config import SyncParameters
from tests.support.emulator import Emulator

BASE = dt.datetime(2026, 1, 1, 12, 0, 0)

ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "(415) 555-2671",
        "country": "US",
        "segments": "newsletter",
        "signup_date": dt.date(2024, 5, 1),
    },
    {
        "id": 2,
        "first_name": "Émile",
        "last_name": "Zola",
        "email": "emile@example.fr",
        "phone": "06 12 34 56 78",
        "country": "FR",
        "segments": "newsletter,vip",
        "signup_date": None,
    },
    {
        "id": 3,
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "+44 7400 123456",
        "country": None,
        "segments": None,
        "signup_date": dt.date(2023, 1, 9),
    },
    {
        "id": 4,
        "first_name": "No",
        "last_name": "Phone",
        "email": "nophone@example.com",
        "phone": None,
        "country": "US",
        "segments": None,
        "signup_date": None,
    },
    {
        "id": 5,
        "first_name": "Bad",
        "last_name": "Number",
        "email": "bad@example.com",
        "phone": "12345",
        "country": "US",
        "segments": None,
        "signup_date": None,
    },
    {
        "id": 6,
        "first_name": "Ada",
        "last_name": "Again",
        "email": "ada2@example.com",
        "phone": "+1 415 555 2671",
        "country": "US",
        "segments": None,
        "signup_date": None,
    },
    {
        "id": 7,
        "first_name": "Kofi",
        "last_name": "Mensah",
        "email": "kofi@example.com",
        "phone": "+49 1512 3456789",
        "country": "DE",
        "segments": "vip",
        "signup_date": None,
    },
]


def write_rows(url: str, rows: list[dict[str, Any]]) -> None:
    """(Re)write the contacts table; each row's updated_at is BASE plus its id in minutes unless given."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        "contacts",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("first_name", sa.String),
        sa.Column("last_name", sa.String),
        sa.Column("email", sa.String),
        sa.Column("phone", sa.String),
        sa.Column("country", sa.String),
        sa.Column("segments", sa.String),
        sa.Column("signup_date", sa.Date),
        sa.Column("updated_at", sa.DateTime),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{"updated_at": BASE + dt.timedelta(minutes=r["id"])} | r for r in rows],
        )
    engine.dispose()


@pytest.fixture
def list_ids(emulator: Emulator) -> dict[str, str]:
    """The emulator's list ids by name (the `emulator` fixture is tests/support/emulator.py's)."""
    return dict(emulator.lists)


@pytest.fixture
def sakari_block(prefect_server: None, emulator: Emulator) -> str:
    """A saved Sakari block pointing at the emulator with its credentials; returns its name."""
    from sakari_sync.app.runner import save_sakari_block

    save_sakari_block("sakari-test", base_url=emulator.url, **emulator.credentials)
    return "sakari-test"


@pytest.fixture
def params(tmp_path: Path, sakari_block: str, list_ids: dict[str, str]) -> SyncParameters:
    source_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    write_rows(source_url, ROWS)
    return SyncParameters.model_validate(
        {
            "name": "test-contacts",
            "source": {
                "url": source_url,
                "table": "contacts",
                "key_column": "id",
                "cursor_column": "updated_at",
                "chunk_size": 3,
            },
            "mapping": {
                "mobile": "phone",
                "country": "country",
                "first_name": "first_name",
                "last_name": "last_name",
                "email": "email",
                "attributes": {"signupDate": "signup_date"},
                "lists": {"column": "segments", "separator": ",", "ids": list_ids},
            },
            "sakari": {"block": sakari_block, "batch_size": 2},
            "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        }
    )

"""The nasty-row corpus (tests/transform/nasty_rows.py) through the whole flow, from a SQL table into
the emulator: every row ends in exactly one place, Sakari with the E.164 number and fields the corpus
expects, or the rejects table with the corpus's reason code, and no row stops the run.

The corpus is written to SQLite as a warehouse would hold it: numpy scalars as plain numbers, decimals
as text, dates as ISO text, NaN as NULL, booleans as 0/1 (the only change a reader could see: an
attribute `vip` arrives as 1, which equals True). Rows with a NULL key cannot be paged by key at all,
so extract refuses such a source with one line instead (the last test); the corpus's other key-less
rows (empty and blank keys) are rejected as `missing_key` like in the transform's own test.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from sakari_sync.config import SyncParameters
from sakari_sync.stages.report import SyncReport
from tests.reliability.support import creates, project, run_sync, sakari_contacts, state_rows
from tests.support.credentials import DEMO_CREDENTIALS
from tests.transform.nasty_rows import COLUMNS, MAPPING, PHONE, ROWS, cells_of

pytestmark = pytest.mark.usefixtures("prefect_server")

SQL_NAME = "'); DROP TABLE contacts; --"
SQL_ROW = {"id": "sql-drop", "phone": "+1 415 555 0299", "last": SQL_NAME}
CORPUS_LISTS = {"all-contacts": "all-contacts", "list-vip": "vip", "newsletter": "newsletter"}  # id: name


def stored(value: Any) -> Any:
    """A cell as a SQLite warehouse holds it."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        return None if value.is_nan() else str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def has_null_key(cells: dict[str, Any]) -> bool:
    key = cells["id"]
    return key is None or (isinstance(key, float) and math.isnan(key))


def write_table(path: Path, rows: list[dict[str, Any]]) -> str:
    """`contacts` with untyped columns, so each cell keeps its own type (as SQLite allows)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"CREATE TABLE contacts ({', '.join(COLUMNS)})")
        marks = ", ".join("?" for _ in COLUMNS)
        insert = f"INSERT INTO contacts VALUES ({marks})"  # noqa: S608 - placeholders only
        conn.executemany(insert, [[r[c] for c in COLUMNS] for r in rows])
    conn.close()
    return f"sqlite:///{path}"


def corpus_params(url: str, state: Path, block: str, list_ids: dict[str, str]) -> SyncParameters:
    ids = {
        "all-contacts": list_ids["all-contacts"],
        "VIP": list_ids["vip"],
        "newsletter": list_ids["newsletter"],
    }
    mapping = MAPPING.model_copy(update={"lists": MAPPING.lists.model_copy(update={"ids": ids})})
    return SyncParameters.model_validate(
        {
            "name": "nasty",
            "source": {"url": url, "table": "contacts", "key_column": "id", "cursor_column": "updated_at"},
            "mapping": mapping.model_dump(),
            "phone": PHONE.model_dump(),
            "sakari": {"block": block, "batch_size": 25},
            "state_url": f"sqlite:///{state}",
        }
    )


@dataclass
class NastyRun:
    source: str
    report: SyncReport
    contacts: dict[str, dict[str, Any]]
    rejects: list[tuple[str | None, str]]
    list_ids: dict[str, str]
    sent: int


@pytest.fixture(scope="module")
def nasty_run(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NastyRun]:
    """One sync of the whole corpus (plus a SQL-looking name) into its own emulator."""
    from sakari_sync.app.runner import save_sakari_block

    tmp = tmp_path_factory.mktemp("nasty")
    with EmulatorServer(EmulatorConfig(port=0, lists=sorted(CORPUS_LISTS.values()), seed=6)) as emulator:
        save_sakari_block(
            "sakari-nasty",
            base_url=emulator.url,
            **DEMO_CREDENTIALS,
        )
        list_ids = {i["name"]: i["id"] for i in httpx.get(f"{emulator.url}/_emulator/lists").json()}
        cells = [cells_of(i, row) for i, row in enumerate(ROWS)]
        table = [{c: stored(v) for c, v in r.items()} for r in cells]  # NULL keys too: rejected, never fatal
        table.append(dict.fromkeys(COLUMNS) | SQL_ROW | {"updated_at": "2024-03-01T12:00:00+00:00"})
        params = corpus_params(
            write_table(tmp / "warehouse.db", table), tmp / "state.db", "sakari-nasty", list_ids
        )
        report = run_sync(params)
        rejects = state_rows(
            params, "SELECT source_key, reason FROM sakari_rejects WHERE run_id = ?", report.run_id
        )
        yield NastyRun(
            source=str(tmp / "warehouse.db"),
            report=report,
            contacts={c["mobile"]["number"]: c for c in sakari_contacts(emulator)},
            rejects=[(key, reason) for key, reason in rejects],
            list_ids=list_ids,
            sent=creates(emulator),
        )


def expected_body(body: dict[str, Any], list_ids: dict[str, str]) -> dict[str, Any]:
    """The corpus's body with its list ids replaced by the emulator's ids for the same lists."""
    lists = [{"id": list_ids[CORPUS_LISTS[item["id"]]]} for item in body.get("lists", [])]
    return project(body | {"lists": lists})


def test_every_nasty_row_is_sent_with_its_fields_or_rejected_with_its_reason(nasty_run: NastyRun) -> None:
    """Each nasty-corpus row reaches Sakari once with its expected fields, or is rejected with its reason."""
    report = nasty_run.report
    assert report.accounted() == report.extracted == len(ROWS) + 1, "every row read has one outcome"
    assert report.failed == 0
    rejects = {key: reason for key, reason in nasty_run.rejects if key}
    wrong: list[str] = []
    sent: set[str] = set()
    missing_keys = 0
    for index, row in enumerate(ROWS):
        key = cells_of(index, row)["id"]
        if row.body is not None:
            mobile = row.body["mobile"]["number"]
            sent.add(mobile)
            got = nasty_run.contacts.get(mobile)
            if got is None or project(got) != expected_body(row.body, nasty_run.list_ids):
                wrong.append(f"{row.why}: {project(got) if got else 'not in Sakari'}")
        elif row.reason == "missing_key":
            missing_keys += 1  # a NULL or blank key: rejected, while every other row goes on
        elif rejects.get(key) != row.reason:
            wrong.append(f"{row.why}: expected {row.reason}, got {rejects.get(key)}")
    assert wrong == []
    assert Counter(reason for _, reason in nasty_run.rejects)["missing_key"] == missing_keys == 4
    assert set(nasty_run.contacts) == sent | {"+14155550299"}, "nothing else reached Sakari"
    assert nasty_run.sent == len(sent) + 1, "each contact was sent once"


def test_sql_looking_text_is_sent_as_text_and_the_source_table_survives(nasty_run: NastyRun) -> None:
    """Values are bound parameters everywhere: the name arrives verbatim and drops nothing."""
    assert nasty_run.contacts["+14155550299"]["lastName"] == SQL_NAME
    conn = sqlite3.connect(nasty_run.source)
    try:
        (count,) = conn.execute("SELECT count(*) FROM contacts").fetchone()
    finally:
        conn.close()
    assert count == nasty_run.report.extracted

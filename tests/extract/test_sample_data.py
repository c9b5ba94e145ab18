"""The demo warehouse: deterministic, realistic, and messy in every way the pipeline must handle."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType as Kind
from sqlalchemy import create_engine, select, text

from sakari_sync.config import SourceConfig
from sakari_sync.sample_data import CONTACTS, create_sample_warehouse, mutate_sample_warehouse, sample_url
from sakari_sync.sample_rows import ContactGenerator
from sakari_sync.stages.extract import iter_pages

MOBILE = {Kind.MOBILE, Kind.FIXED_LINE_OR_MOBILE}


def read_all(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text("SELECT * FROM contacts ORDER BY id")).mappings()]
    finally:
        engine.dispose()


def classify(phone: str | None, country: str | None) -> tuple[str, str | None]:
    """('mobile' | 'not_mobile' | 'invalid' | 'missing', E.164 or None), as the transform will see it."""
    if phone is None or not phone.strip():
        return "missing", None
    try:
        number = phonenumbers.parse(phone, (country or "US").upper())
    except phonenumbers.NumberParseException:
        return "invalid", None
    if not phonenumbers.is_valid_number(number):
        return "invalid", None
    kind = "mobile" if phonenumbers.number_type(number) in MOBILE else "not_mobile"
    return kind, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return read_all(create_sample_warehouse(tmp_path_factory.mktemp("sample") / "w.db", rows=4000, seed=7))


def test_same_rows_and_seed_give_the_same_table(tmp_path: Path) -> None:
    """Two builds with the same rows and seed are identical; another seed gives other contacts."""
    first = read_all(create_sample_warehouse(tmp_path / "a.db", rows=300, seed=3))
    assert first == read_all(create_sample_warehouse(tmp_path / "b.db", rows=300, seed=3))
    assert first != read_all(create_sample_warehouse(tmp_path / "c.db", rows=300, seed=4))
    assert len(first) == 300
    assert [r["id"] for r in first] == list(range(1, 301))


def test_most_phones_are_valid_mobiles_and_the_rest_is_mess(sample: list[dict[str, Any]]) -> None:
    """~86% valid mobiles; invalid numbers, fixed lines and missing phones each make up a few %."""
    kinds = collections.Counter(classify(r["phone"], r["country"])[0] for r in sample)
    share = {kind: count / len(sample) for kind, count in kinds.items()}
    assert share["mobile"] > 0.8
    assert 0.015 < share["invalid"] < 0.04
    assert 0.015 < share["not_mobile"] < 0.05
    assert 0.03 < share["missing"] < 0.09


def test_some_people_appear_twice_with_conflicting_fields(sample: list[dict[str, Any]]) -> None:
    """About 2.5% of rows repeat a mobile already present, with a different email or name."""
    by_mobile = collections.defaultdict(list)
    for row in sample:
        kind, e164 = classify(row["phone"], row["country"])
        if kind == "mobile":
            by_mobile[e164].append(row)
    repeats = [rows for rows in by_mobile.values() if len(rows) > 1]
    assert 0.015 < sum(len(rows) - 1 for rows in repeats) / len(sample) < 0.04
    assert any(rows[0]["email"] != rows[1]["email"] for rows in repeats)
    assert any(rows[0]["phone"] != rows[1]["phone"] for rows in repeats)  # written differently


def test_phones_are_written_every_way_people_write_them(sample: list[dict[str, Any]]) -> None:
    """E.164, 00 prefix, missing +, parentheses, dots, dashes, padding and extensions all occur."""
    phones = [r["phone"] for r in sample if r["phone"]]
    shapes = {
        "e164": r"^\+\d{8,15}$",
        "00": r"^00\d",
        "missing_plus": r"^[1-9]\d{0,2}[ .-]\d",
        "parentheses": r"\(",
        "dots": r"\d\.\d",
        "dashes": r"\d-\d",
        "padding": r"^\s|\s$",
        "extension": r"(?i)ext|x\d",
        "national": r"^0\d",
    }
    for shape, pattern in shapes.items():
        assert any(re.search(pattern, p) for p in phones), shape


def test_names_emails_and_countries_are_messy(sample: list[dict[str, Any]]) -> None:
    """Non-ASCII and emoji names, invalid emails, NULL and lower-case countries are all present."""
    names = " ".join(f"{r['first_name'] or ''} {r['last_name'] or ''}" for r in sample)
    for needle in ["é", "ß", "山田", "محمد"]:
        assert needle in names, needle
    assert re.search("[\U0001f300-\U0001faff\u2728]", names), "emoji"
    emails = [r["email"] for r in sample if r["email"]]
    assert any("@" not in e or "@@" in e or e.endswith("@") for e in emails)
    assert any(r["email"] is None for r in sample)
    countries = {r["country"] for r in sample}
    assert None in countries
    assert any(c and c.islower() for c in countries)


def test_cursor_ties_and_list_columns_exist(sample: list[dict[str, Any]]) -> None:
    """updated_at values repeat (incremental reads must keep ties); segments hold comma lists."""
    stamps = collections.Counter(r["updated_at"] for r in sample)
    assert max(stamps.values()) > 1
    assert any(r["segments"] and "," in r["segments"] for r in sample)
    assert {type(r["lifetime_value"]) for r in sample} >= {float, type(None)}


def test_mutation_is_exactly_what_an_incremental_read_returns(tmp_path: Path) -> None:
    """After a mutation, reading from the old high-water mark returns the edited, new and
    invalidated rows (plus rows sitting exactly at the old mark), and nothing else."""
    url = create_sample_warehouse(tmp_path / "w.db", rows=500, seed=1)
    before = {r["id"]: r for r in read_all(url)}
    mark = max(r["updated_at"] for r in before.values())
    change = mutate_sample_warehouse(url, changes=20, seed=2)
    after = {r["id"]: r for r in read_all(url)}
    assert len(change.updated) == 20
    assert len(change.inserted) == 2
    assert change.invalidated is not None
    assert all(after[i] != before[i] for i in change.updated)
    assert classify(before[change.invalidated]["phone"], before[change.invalidated]["country"])[0] == "mobile"
    assert classify(after[change.invalidated]["phone"], after[change.invalidated]["country"])[0] == "invalid"
    src = SourceConfig(url=url, table="contacts", cursor_column="updated_at", chunk_size=7)
    read = {int(i) for page in iter_pages(url, src, cursor=mark) for i in page.rows["id"]}
    at_mark = {i for i, r in before.items() if r["updated_at"] == mark}
    assert read == {*change.updated, *change.inserted, change.invalidated, *at_mark}


def test_sample_warehouse_builds_on_any_sqlalchemy_database(db_url: str) -> None:
    """The same builder fills PostgreSQL too, and the extract reads every row back."""
    url = create_sample_warehouse(db_url, rows=250, seed=0)
    src = SourceConfig(url=url, table="contacts", cursor_column="updated_at", chunk_size=100)
    assert sum(len(page.rows) for page in iter_pages(url, src)) == 250


def test_the_table_holds_exactly_the_generated_rows_across_insert_batches(db_url: str) -> None:
    """Every value of every row survives the bulk insert (SQLite executemany, PostgreSQL COPY)."""
    rows = 12_345  # more than two insert batches
    engine = create_engine(create_sample_warehouse(db_url, rows=rows, seed=5))
    try:
        with engine.connect() as conn:  # typed by the table: SQLite keeps dates as text
            stored = [dict(r) for r in conn.execute(select(CONTACTS).order_by(CONTACTS.c.id)).mappings()]
    finally:
        engine.dispose()
    generated = list(ContactGenerator(5).rows(1, rows))
    assert len(stored) == rows
    for got, want in zip(stored, generated, strict=True):
        assert got.keys() == want.keys()
        assert got == want, got["id"]


def test_mutation_samples_only_existing_ids_when_some_were_deleted(tmp_path: Path) -> None:
    """With gaps in the ids, edits still land on rows that exist, and new ids follow the largest."""
    url = create_sample_warehouse(tmp_path / "w.db", rows=300, seed=1)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM contacts WHERE id BETWEEN 20 AND 250"))
    finally:
        engine.dispose()
    change = mutate_sample_warehouse(url, changes=60, seed=3)
    assert len(change.updated) == 60
    assert not {i for i in change.updated if 20 <= i <= 250}
    assert change.inserted == list(range(301, 307))
    after = {r["id"] for r in read_all(url)}
    assert set(change.updated) <= after


def test_sample_url_turns_a_path_into_a_sqlite_url(tmp_path: Path) -> None:
    """A plain path means a SQLite file; a URL is used as it is."""
    assert sample_url(tmp_path / "w.db") == f"sqlite:///{tmp_path / 'w.db'}"
    assert sample_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"

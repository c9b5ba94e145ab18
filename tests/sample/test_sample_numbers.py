"""The sample warehouse's phone numbers: valid, never shared by two people, and enough for 2M rows."""

from __future__ import annotations

import collections
import random
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType as Kind
from sqlalchemy import create_engine, text

from sakari_sync.sample_data import create_sample_warehouse, max_sample_rows
from sakari_sync.sample_phones import Number, NumberPool, is_valid_mobile, number_ranges, table_capacity
from sakari_sync.sample_rows import number_demand

ROWS = 10_000
BENCHMARK_ROWS = 2_000_000
MOBILE = {Kind.MOBILE, Kind.FIXED_LINE_OR_MOBILE}


def e164(number: Number) -> str:
    region, prefix, suffix = number
    return f"+{phonenumbers.country_code_for_region(region)}{prefix}{suffix}"


def pool_of(phone: str | None, country: str | None) -> tuple[tuple[str, int], str] | None:
    """The (region, kind) pool a valid phone was drawn from, and its E.164 form; None if invalid."""
    try:
        number = phonenumbers.parse(phone or "", (country or "US").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    kind = Kind.MOBILE if kind in MOBILE else kind
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return (str(phonenumbers.region_code_for_number(number)), kind), formatted


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    url = create_sample_warehouse(tmp_path_factory.mktemp("numbers") / "w.db", rows=ROWS, seed=11)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text("SELECT * FROM contacts ORDER BY id")).mappings()]
    finally:
        engine.dispose()


@pytest.mark.parametrize(("region", "kind"), sorted(number_demand()))
def test_every_range_holds_only_valid_numbers_of_its_region_and_kind(region: str, kind: int) -> None:
    """Random draws from every pool the table uses parse as valid numbers of that region and kind."""
    pool, rnd = NumberPool(region, kind), random.Random(region)
    for _ in range(300):
        number = phonenumbers.parse(e164(pool.draw(rnd.random)))
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == region
        assert phonenumbers.number_type(number) in {kind, Kind.FIXED_LINE_OR_MOBILE}
    if kind == Kind.MOBILE:
        assert is_valid_mobile(e164(pool.draw(rnd.random)), None)


def test_a_pool_never_draws_a_number_twice_and_says_when_it_runs_out() -> None:
    """Drawing a pool dry gives distinct numbers only, then a clear error instead of a repeat."""
    pool, rnd, drawn = NumberPool("US", Kind.TOLL_FREE, spare=True), random.Random(1), []

    def draw_all() -> None:
        while True:
            drawn.append(pool.draw(rnd.random))

    with pytest.raises(ValueError, match="ran out of sample US numbers"):
        draw_all()
    assert len(set(drawn)) == len(drawn) > 0.95 * pool.capacity


def test_rows_added_later_never_draw_a_number_the_table_drew() -> None:
    """The spare part of a pool (for mutations) and the table's part are disjoint, and cover it."""
    table, spare, rnd = (
        NumberPool("CA", Kind.MOBILE),
        NumberPool("CA", Kind.MOBILE, spare=True),
        random.Random(2),
    )
    size = sum(10**free for _, free in number_ranges("CA", Kind.MOBILE))
    assert table.capacity + spare.capacity == size
    table_numbers = {table.draw(rnd.random) for _ in range(table.capacity // 2)}
    spare_numbers = {spare.draw(rnd.random) for _ in range(spare.capacity // 2)}
    assert not table_numbers & spare_numbers


def test_no_two_people_share_a_valid_mobile(table: list[dict[str, Any]]) -> None:
    """Rows sharing a mobile are one person repeated (same first name, last name kept or extended)."""
    by_mobile = collections.defaultdict(list)
    for row in table:
        found = pool_of(row["phone"], row["country"])
        if found and found[0][1] == Kind.MOBILE:
            by_mobile[found[1]].append(row)
    assert len(by_mobile) > 0.8 * ROWS
    for rows in (rows for rows in by_mobile.values() if len(rows) > 1):
        original = rows[0]
        for twin in rows[1:]:
            assert twin["first_name"] == original["first_name"]
            assert (twin["last_name"] or "").startswith((original["last_name"] or "").strip())


def test_ranges_hold_twice_what_two_million_rows_draw(table: list[dict[str, Any]]) -> None:
    """Extrapolated from a real table, 2M rows use under half of every pool; the model agrees."""
    distinct: dict[tuple[str, int], set[str]] = collections.defaultdict(set)
    for row in table:
        found = pool_of(row["phone"], row["country"])
        if found:
            distinct[found[0]].add(found[1])
    demand = number_demand()
    assert set(distinct) == set(demand)
    for pool, numbers in distinct.items():
        expected = demand[pool] * ROWS
        assert abs(len(numbers) - expected) < 0.2 * expected + 15, pool
        assert table_capacity(*pool) > 2 * len(numbers) * BENCHMARK_ROWS / ROWS, pool
    assert max_sample_rows() > BENCHMARK_ROWS


def test_more_rows_than_the_ranges_hold_are_refused_up_front(tmp_path: Path) -> None:
    """Asking for more than `max_sample_rows()` fails at once, before creating the database."""
    with pytest.raises(ValueError, match="at most"):
        create_sample_warehouse(tmp_path / "w.db", rows=max_sample_rows() + 1)
    assert not (tmp_path / "w.db").exists()


def test_messy_cases_keep_their_shares(table: list[dict[str, Any]]) -> None:
    """Bad and missing emails, extensions and NULL or lower-case countries keep their proportions."""

    def share(predicate: Any) -> float:
        return sum(1 for row in table if predicate(row)) / len(table)

    def is_bad(email: str | None) -> bool:  # 4 of the 5 kinds of bad address ('x@example' passes)
        if not email:
            return False
        return "@" not in email or "@@" in email or " @" in email or email.endswith("@")

    assert 0.015 < share(lambda r: is_bad(r["email"])) < 0.035
    assert 0.035 < share(lambda r: r["email"] is None) < 0.065
    assert 0.007 < share(lambda r: r["phone"] and any(x in r["phone"] for x in ("ext", " x", ";ext"))) < 0.025
    assert 0.065 < share(lambda r: r["country"] is None) < 0.095
    assert 0.03 < share(lambda r: r["country"] and r["country"].islower()) < 0.06

"""Cell conversions: keys, text, attributes, and cursor sort keys that sort like their values."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sakari_sync.stages.values import (
    BadFieldError,
    attribute_value,
    clean_text,
    cursor_columns,
    cursor_sort,
    cursor_text,
    key_text,
)

numbers = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)
moments = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(st.none(), st.timezones()),
)


def _exact(value: int | float | Decimal) -> Decimal:
    """The number a cursor key stands for: a float by its shortest repr, as `cursor_sort` reads it."""
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    return Decimal(value)


def _sign(x: Any, y: Any) -> int:
    return int(x > y) - int(x < y)


@settings(max_examples=500)
@given(a=numbers, b=numbers)
def test_number_sort_keys_sort_like_the_numbers(a, b):
    """Ints, floats and Decimals, positive and negative, in any mix, huge or tiny (up to 1e±100)."""
    exact = [_exact(a), _exact(b)]
    assume(all(not x.is_finite() or abs(x.adjusted()) <= 100 for x in exact))
    assert _sign(cursor_sort(a), cursor_sort(b)) == _sign(exact[0], exact[1])


@given(a=moments, b=moments)
def test_datetime_sort_keys_sort_like_the_instants(a, b):
    """Aware datetimes compare as instants; naive ones are taken as UTC."""

    def instant(value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    assert _sign(cursor_sort(a), cursor_sort(b)) == _sign(instant(a), instant(b))


@given(a=st.text(), b=st.text())
def test_text_sort_keys_are_the_text(a, b):
    """Strings sort by code point, as PostgreSQL's "C" collation and SQLite's BINARY do."""
    assert cursor_sort(a) == a
    assert _sign(cursor_sort(a), cursor_sort(b)) == _sign(a, b)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, "p00000000000000000042"),
        (-42, "n99999999999999999957~"),
        (np.int64(7), "p00000000000000000007"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (pd.Timestamp("2024-05-01T10:00:00.123456789+02:00"), "2024-05-01T08:00:00.123456789Z"),
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
    ],
)
def test_cursor_sort_spelling(value, expected):
    """Sign-aware zero padding, UTC ISO with nanoseconds, ISO dates, "" for missing."""
    assert cursor_sort(value) == expected


def test_cursor_sort_places_a_date_before_that_days_datetimes():
    """A date column mixed with datetimes reads as midnight."""
    assert cursor_sort(dt.date(2024, 5, 1)) < cursor_sort(dt.datetime(2024, 5, 1, 0, 0))


@settings(max_examples=200)
@given(
    values=st.lists(
        st.none() | st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1))
    ),
    aware=st.booleans(),
)
def test_datetime_columns_give_the_per_value_answer(values, aware):
    """The vectorised path for datetime64 columns equals converting value by value."""
    column = pd.Series(pd.to_datetime(values, utc=aware), dtype=f"datetime64[ns{', UTC' if aware else ''}]")
    per_value = column.astype(object)
    assert cursor_columns(column) == (
        [cursor_sort(v) for v in per_value],
        [cursor_text(v) for v in per_value],
    )


@settings(max_examples=300)
@given(values=st.lists(st.none() | st.datetimes(), max_size=20) | st.lists(st.none() | st.text(), max_size=5))
def test_object_columns_of_naive_datetimes_or_text_are_read_like_each_value(values):
    """The one-pass paths for object columns of naive datetimes (and NULLs, from year 1 to 9999) and of
    text (as SQLite returns a DATETIME) equal converting value by value."""
    column = pd.Series(values, dtype=object)
    assert cursor_columns(column) == ([cursor_sort(v) for v in values], [cursor_text(v) for v in values])


def test_cursor_text_is_iso_and_none_when_missing():
    """Aware datetimes in UTC with '+00:00', naive ones as they are, None for NULL."""
    aware = dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert cursor_text(aware) == "2024-05-01T08:00:00.000000+00:00"
    assert cursor_text(dt.datetime(2024, 5, 1, 10)) == "2024-05-01T10:00:00.000000"
    assert cursor_text(Decimal("1.50")) == "1.50"
    assert cursor_text(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (17, "17"),
        (17.0, "17"),
        (np.int64(17), "17"),
        ("A-17", "A-17"),
        (" 17", " 17"),
        ("  ", None),
        (None, None),
    ],
)
def test_key_text(value, expected):
    """Keys keep their text (no stripping: they are identities); NULL and blank keys are missing."""
    assert key_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (np.bool_(False), False),
        (np.int32(5), 5),
        (5.0, 5),
        (2.5, 2.5),
        (float("inf"), None),
        (float("nan"), None),
        (Decimal("12.50"), "12.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("sNaN"), None),
        (dt.date(2024, 1, 2), "2024-01-02"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02T03:04:05+00:00"),
        (pd.Timestamp("2024-01-02"), "2024-01-02T00:00:00"),
        (pd.NaT, None),
        ("  gold ", "gold"),
        ("", None),
        ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}'),
        (b"caf\xc3\xa9", "café"),
    ],
)
def test_attribute_values(value, expected):
    """Numbers stay numbers (integral floats as ints), Decimal as exact text, dates as ISO, NULLs omitted."""
    assert attribute_value(value, "a") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x" * 256, "field_too_long"),
        ("Ann\x00", "bad_text"),
        ("Ann\ud800", "bad_text"),
        (b"\xff", "bad_text"),
    ],
)
def test_clean_text_rejects(value, reason):
    """Over-long text is rejected, not truncated; control characters and non-UTF-8 bytes are rejected."""
    with pytest.raises(BadFieldError) as caught:
        clean_text(value, "firstName", 255)
    assert caught.value.reason == reason

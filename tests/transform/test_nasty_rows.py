"""The nasty-row corpus: each row is sent with the right number and fields, or rejected with its
reason; invalid optional fields are left out and reported, or reject the row with strict_fields."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest

from sakari_sync.outcomes import DUPLICATE_MOBILE
from sakari_sync.stages.transform import FIELD_REASONS, REJECT_REASONS, TransformResult, transform_chunk
from tests.support.dedupe import split_winners
from tests.transform.nasty_rows import COLUMNS, MAPPING, PHONE, ROWS, Nasty, cells_of

Outcome = tuple[str, Any]  # ("sent", payload dict) or ("rejected", reason)
_POSITION = re.compile(r"^row (\d+) of the chunk")


def _transform(*, strict: bool) -> TransformResult:
    frame = pd.DataFrame([cells_of(i, row) for i, row in enumerate(ROWS)], columns=list(COLUMNS))
    mapping = MAPPING.model_copy(update={"strict_fields": strict})
    return transform_chunk(frame, mapping, PHONE, key_column="id", cursor_column="updated_at")


def _outcomes(result: TransformResult) -> dict[str, Outcome]:
    """Every corpus row's outcome, by source key ('#<position>' for rows without one)."""
    winners, losers = split_winners(result.valid)
    found: dict[str, Outcome] = {}
    for key, reason, detail in zip(
        result.rejects["source_key"], result.rejects["reason"], result.rejects["detail"], strict=True
    ):
        position = _POSITION.match(detail)
        found[f"#{position.group(1)}" if position else key] = ("rejected", reason)
    for key in losers["source_key"]:
        found[key] = ("rejected", DUPLICATE_MOBILE)
    for key, payload in zip(winners["source_key"], winners["payload"], strict=True):
        found[key] = ("sent", json.loads(payload))
    assert len(found) == len(ROWS), "every row has exactly one outcome"
    return found


@pytest.fixture(scope="module")
def lenient() -> tuple[dict[str, Outcome], dict[str, list[str]]]:
    """Outcomes by key with the default settings, and the field issues' reasons by key."""
    result = _transform(strict=False)
    issues: dict[str, list[str]] = {}
    for key, reason in zip(result.field_issues["source_key"], result.field_issues["reason"], strict=True):
        issues.setdefault(key, []).append(reason)
    return _outcomes(result), issues


@pytest.fixture(scope="module")
def strict() -> tuple[dict[str, Outcome], int]:
    """Outcomes by key with mapping.strict_fields, and how many field issues it reported (none)."""
    result = _transform(strict=True)
    return _outcomes(result), len(result.field_issues)


def _label(index: int, row: Nasty) -> str:
    key = cells_of(index, row)["id"]
    return key if isinstance(key, str) and key.strip() else f"#{index}"


def test_corpus_is_large_and_uses_known_reasons():
    """At least 60 rows, every expected reason is one REJECT_REASONS explains, and the field rows are
    field reasons."""
    assert len(ROWS) >= 60
    assert {row.reason for row in ROWS if row.reason} <= set(REJECT_REASONS) - FIELD_REASONS
    assert {reason for row in ROWS for reason in row.field_issues} <= FIELD_REASONS


@pytest.mark.parametrize(("index", "row"), list(enumerate(ROWS)), ids=[row.why for row in ROWS])
def test_nasty_row_outcome(lenient: tuple[dict[str, Outcome], dict[str, list[str]]], index: int, row: Nasty):
    """The row is sent with exactly the expected body (its bad fields left out and reported, in field
    order), or rejected with exactly the expected reason."""
    outcomes, issues = lenient
    expected: Outcome = ("sent", row.body) if row.body is not None else ("rejected", row.reason)
    assert outcomes[_label(index, row)] == expected
    assert issues.get(_label(index, row), []) == list(row.field_issues)


@pytest.mark.parametrize(("index", "row"), list(enumerate(ROWS)), ids=[row.why for row in ROWS])
def test_nasty_row_outcome_with_strict_fields(strict: tuple[dict[str, Outcome], int], index: int, row: Nasty):
    """With strict_fields, a row with an invalid field is rejected for the first one (the first
    release's behaviour); every other row has the same outcome as without it."""
    outcomes, issue_count = strict
    if row.field_issues:
        expected: Outcome = ("rejected", row.field_issues[0])
    else:
        expected = ("sent", row.body) if row.body is not None else ("rejected", row.reason)
    assert outcomes[_label(index, row)] == expected
    assert issue_count == 0

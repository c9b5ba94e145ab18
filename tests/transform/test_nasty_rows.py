"""The nasty-row corpus: each row is sent with the right number and fields, or rejected with its reason."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest

from sakari_sync.outcomes import DUPLICATE_MOBILE
from sakari_sync.stages.transform import REJECT_REASONS, transform_chunk
from tests.support.dedupe import split_winners
from tests.transform.nasty_rows import COLUMNS, MAPPING, PHONE, ROWS, Nasty, cells_of

Outcome = tuple[str, Any]  # ("sent", payload dict) or ("rejected", reason)
_POSITION = re.compile(r"^row (\d+) of the chunk")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """Every corpus row's outcome, by source key ('#<position>' for rows without one)."""
    frame = pd.DataFrame([cells_of(i, row) for i, row in enumerate(ROWS)], columns=list(COLUMNS))
    result = transform_chunk(frame, MAPPING, PHONE, key_column="id", cursor_column="updated_at")
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


def test_corpus_is_large_and_uses_known_reasons():
    """At least 60 rows, and every expected reason is one REJECT_REASONS explains."""
    assert len(ROWS) >= 60
    assert {row.reason for row in ROWS if row.reason} <= set(REJECT_REASONS)


@pytest.mark.parametrize(("index", "row"), list(enumerate(ROWS)), ids=[row.why for row in ROWS])
def test_nasty_row_outcome(outcomes: dict[str, Outcome], index: int, row: Nasty):
    """The row is sent with exactly the expected body, or rejected with exactly the expected reason."""
    key = cells_of(index, row)["id"]
    label = key if isinstance(key, str) and key.strip() else f"#{index}"
    expected: Outcome = ("sent", row.body) if row.body is not None else ("rejected", row.reason)
    assert outcomes[label] == expected

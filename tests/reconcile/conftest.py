"""The pipeline's fixtures (emulator over HTTP, saved Sakari block, a sync's parameters), and a
warehouse large enough that reading a few contacts back by GET is cheaper than listing it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sakari_sync.config import SyncParameters
from tests.pipeline.conftest import BASE, list_ids, params, sakari_block, write_rows

__all__ = ["list_ids", "params", "sakari_block"]  # fixtures, found by name

CONTACTS = 450  # five pages of 100: three GETs cost less than listing


def warehouse_rows(n: int = CONTACTS, *, edited: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """`n` valid, distinct US mobiles; the ids in `edited` get that first name and a later updated_at."""
    edited = edited or {}
    return [
        {
            "id": i,
            "first_name": edited.get(i, f"Person{i}"),
            "last_name": "Sample",
            "email": f"p{i}@example.com",
            "phone": f"+1 415 555 {1000 + i:04d}",
            "country": "US",
            "segments": "newsletter",
            "signup_date": None,
            "updated_at": BASE + (dt.timedelta(days=1) if i in edited else dt.timedelta(minutes=i)),
        }
        for i in range(1, n + 1)
    ]


@pytest.fixture
def big(params: SyncParameters) -> SyncParameters:
    """The pipeline's sync over `CONTACTS` rows, in pages and batches of a realistic size."""
    write_rows(params.source.url or "", warehouse_rows())
    return params.model_copy(
        update={
            "source": params.source.model_copy(update={"chunk_size": 500}),
            "sakari": params.sakari.model_copy(update={"batch_size": 200}),
        }
    )

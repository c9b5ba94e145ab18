"""Fixtures for the reliability suite: the pipeline's block and params over the shared `emulator`,
given every list the sample warehouse uses, and the Prefect API URL a `sakari-sync` subprocess must
talk to."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pipeline.conftest import list_ids, params, sakari_block
from tests.reliability.support import LISTS

__all__ = ["list_ids", "params", "sakari_block"]  # fixtures, found by name


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """`emulator` over HTTP, faults off (tests switch them on), with the sample warehouse's lists."""
    return {"kind": "http", "fresh": True, "lists": LISTS, "seed": 6}


@pytest.fixture
def api_url(prefect_server: None) -> str:
    """The test Prefect server's API URL, for subprocesses (the harness sets it only in this process)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())

"""Fixtures for the reliability suite: the pipeline's block and params over an emulator that has every
list the sample warehouse uses, and the Prefect API URL a `sakari-sync` subprocess must talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from tests.pipeline.conftest import list_ids, params, sakari_block
from tests.reliability.support import LISTS

__all__ = ["list_ids", "params", "sakari_block"]  # fixtures, found by name


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """The emulator over HTTP, faults off (tests switch them on), lists of the sample warehouse."""
    with EmulatorServer(EmulatorConfig(port=0, lists=LISTS, seed=6)) as server:
        yield server


@pytest.fixture
def api_url(prefect_server: None) -> str:
    """The test Prefect server's API URL, for subprocesses (the harness sets it only in this process)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())

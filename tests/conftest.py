"""Fixtures shared across the suite: a real Prefect server, the emulator (tests/support/emulator.py, a
plugin), real databases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from tests.conftest_db import postgres_url, sqlite_url

__all__ = ["postgres_url", "sqlite_url"]

# The emulator's fixtures (`emulator`, `emulator_options`, `emulator_factory`, `make_emulator`, ...).
pytest_plugins = ["tests.support.emulator"]


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One real (temporary) Prefect server for every test that runs a flow: starting one costs ~10 s."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

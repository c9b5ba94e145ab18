"""The emulator two ways for client tests: in-process (ASGI transport) and over real HTTP (uvicorn).

The `Emulator` handle and its factory are tests/support/emulator.py's; this suite only says how its
emulators are configured, and runs every test taking `emulator` against both kinds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import Emulator, EmulatorFactory

# Every client-suite emulator: two lists to join contacts to, ids that repeat from run to run.
CLIENT_CONFIG: dict[str, Any] = {"lists": ["newsletter", "vip"], "seed": 7}


@pytest.fixture(params=["asgi", "http"], ids=["in_process", "over_http"])
def emulator_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each test using `emulator` runs against the in-process, then the real-HTTP emulator."""
    return {"kind": request.param, "fresh": True, **CLIENT_CONFIG}


@pytest.fixture
def in_process(emulator_factory: EmulatorFactory) -> Emulator:
    """The emulator app called in-process through `httpx.ASGITransport` (no sockets, no timeouts)."""
    return emulator_factory.start("asgi", **CLIENT_CONFIG)


@pytest.fixture
def over_http(emulator_factory: EmulatorFactory) -> Emulator:
    """The emulator served by uvicorn on a free loopback port: real sockets, real timeouts and drops."""
    return emulator_factory.start("http", fresh=True, **CLIENT_CONFIG)

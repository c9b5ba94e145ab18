"""Fixtures: every contract test runs twice, in-process (httpx.ASGITransport) and over real HTTP.

`make_emulator` and the rest come from tests/support/emulator.py (a plugin of tests/conftest.py)."""

from __future__ import annotations

import pytest_asyncio

from tests.support.emulator import Emulator, MakeEmulator


@pytest_asyncio.fixture(loop_scope="function")
async def emu(make_emulator: MakeEmulator) -> Emulator:
    """A default emulator with lists VIP and News, logged in."""
    return await make_emulator(lists=["VIP", "News"], seed=7).login()

"""Fixtures: every contract test runs twice, in-process (httpx.ASGITransport) and over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from sakari_emulator.app import create_app
from sakari_emulator.config import EmulatorConfig
from sakari_emulator.models import EmulatorBackend
from sakari_emulator.server import EmulatorServer

ACCOUNT = "demo-account"
CONTACTS = f"/v1/accounts/{ACCOUNT}/contacts"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}


@dataclass
class Emulator:
    """A running emulator and a plain httpx client pointed at it."""

    client: httpx.AsyncClient
    backend: EmulatorBackend
    transport: str
    lists: dict[str, str] = field(default_factory=dict)

    async def token(self) -> str:
        response = await self.client.post("/oauth2/token", json=CREDENTIALS)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def login(self) -> Emulator:
        self.client.headers["Authorization"] = f"Bearer {await self.token()}"
        return self

    async def create(self, body: dict[str, Any], strategy: str | None = None) -> httpx.Response:
        params = {} if strategy is None else {"mergeStrategy": strategy}
        return await self.client.post(CONTACTS, json=body, params=params)

    async def create_ok(self, body: dict[str, Any], strategy: str | None = None) -> dict[str, Any]:
        response = await self.create(body, strategy)
        assert response.status_code == 201, response.text
        contact: dict[str, Any] = response.json()["data"][0]
        return contact


MakeEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture(scope="session")
def http_servers() -> Iterator[dict[str, EmulatorServer]]:
    """Real servers, one per configuration, reused across tests (stopping one takes ~0.2 s)."""
    servers: dict[str, EmulatorServer] = {}
    yield servers
    with ThreadPoolExecutor() as pool:
        list(pool.map(EmulatorServer.stop, servers.values()))


def _pooled_server(servers: dict[str, EmulatorServer], config: EmulatorConfig) -> EmulatorServer:
    key = repr(config)
    server = servers.get(key)
    if server is None:
        server = servers[key] = EmulatorServer(config)
        server.start()
    # As good as new: no contacts, blocks or counts, faults as configured and restarted.
    server.backend.faults.update(config.faults())
    server.backend.reset()
    return server


def _keep_running() -> None:
    """Pooled servers outlive the test."""


@pytest_asyncio.fixture(params=["asgi", "http"], loop_scope="function")
async def make_emulator(
    request: pytest.FixtureRequest, http_servers: dict[str, EmulatorServer]
) -> AsyncIterator[MakeEmulator]:
    """Emulators with config overrides: in-process ones are fresh, HTTP ones pooled and reset."""
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def make(**overrides: Any) -> Emulator:
        config = EmulatorConfig(port=0, **overrides)
        stop: Callable[[], None]
        if request.param == "http":
            server = _pooled_server(http_servers, config)
            client = httpx.AsyncClient(base_url=server.url, timeout=10)
            backend, stop = server.backend, _keep_running
        else:
            app = create_app(config)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")
            backend = app.state.emulator
            stop = backend.close

        async def cleanup() -> None:
            await client.aclose()
            stop()

        cleanups.append(cleanup)
        lists = {name: list_id for list_id, name in backend.lists()}
        return Emulator(client, backend, request.param, lists)

    yield make
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest_asyncio.fixture(loop_scope="function")
async def emu(make_emulator: MakeEmulator) -> Emulator:
    """A default emulator with lists VIP and News, logged in."""
    emulator = await make_emulator(lists=["VIP", "News"], seed=7)
    return await emulator.login()

"""The emulator two ways for client tests: in-process (ASGI transport) and over real HTTP (uvicorn)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sakari_client import SakariClient
from sakari_emulator.app import create_app
from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer

ACCOUNT = "demo-account"
CLIENT_ID = "demo-client"
CLIENT_SECRET = "demo-secret"
IN_PROCESS_URL = "http://127.0.0.1"


@dataclass
class Emulator:
    """One running emulator, reached either in-process or over HTTP, plus its inspection routes."""

    url: str
    transport: httpx.AsyncBaseTransport | None  # None: real HTTP, the client's own transport
    app: Starlette

    def client(self, **kwargs: Any) -> SakariClient:
        """A client for this emulator with the demo credentials."""
        kwargs.setdefault("account_id", ACCOUNT)
        return SakariClient(
            self.url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            transport=self.transport,
            **kwargs,
        )

    async def inspect(self, method: str, path: str, body: Any = None) -> Any:
        """Call an `/_emulator/` route (no auth, no faults) and return its JSON."""
        transport = self.transport or httpx.AsyncHTTPTransport()
        async with httpx.AsyncClient(base_url=self.url, transport=transport) as http:
            response = await http.request(method, path, json=body)
            response.raise_for_status()
            return response.json()

    async def set_faults(self, **faults: Any) -> None:
        await self.inspect("PATCH", "/_emulator/faults", faults)

    async def count(self, method: str, route: str, status: int | None = None) -> int:
        """Requests the emulator answered for `method route` (optionally with `status`)."""
        stats = await self.inspect("GET", "/_emulator/stats")
        return sum(
            row["count"]
            for row in stats["requests"]
            if row["method"] == method and row["route"] == route and status in (None, row["status"])
        )

    async def token_requests(self) -> int:
        return await self.count("POST", "/oauth2/token")

    async def contacts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.inspect("GET", "/_emulator/contacts")
        return result


def _config(**overrides: Any) -> EmulatorConfig:
    return EmulatorConfig(port=0, lists=["newsletter", "vip"], seed=7, **overrides)


@pytest.fixture
def in_process() -> Iterator[Emulator]:
    """The emulator app called in-process through `httpx.ASGITransport` (no sockets, no timeouts)."""
    app = create_app(_config())
    yield Emulator(IN_PROCESS_URL, httpx.ASGITransport(app=app), app)
    app.state.emulator.close()


@pytest.fixture
def over_http() -> Iterator[Emulator]:
    """The emulator served by uvicorn on a free loopback port: real sockets, real timeouts and drops."""
    with EmulatorServer(_config()) as server:
        yield Emulator(server.url, None, server.app)


@pytest.fixture(params=["in_process", "over_http"])
def emulator(request: pytest.FixtureRequest) -> Emulator:
    """Each test using this runs against both the in-process and the real-HTTP emulator."""
    result: Emulator = request.getfixturevalue(request.param)
    return result

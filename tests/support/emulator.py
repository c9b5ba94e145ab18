"""The Sakari emulator for every test suite: demo credentials, one handle, one factory, the fixtures.

    emulator = factory.start("asgi" | "http", lists=["VIP"], seed=7)   # any EmulatorConfig field
    SakariClient(emulator.url, **emulator.credentials, transport=emulator.transport)
    await emulator.add_rule(status=503, times=1)
    assert await emulator.count("POST", CONTACTS_ROUTE, 201) == 1

"asgi" is a fresh app reached through `httpx.ASGITransport` (no sockets; `transport` is set).
"http" is a real uvicorn server (`transport` is None); servers are pooled per configuration for the
whole test process and reset before reuse (no contacts, blocks, counts or rules; faults and answer
styles as configured), because starting and stopping one costs ~0.2 s. `fresh=True` gives a server
of its own, stopped with the factory (for tests that need new ids or their own database file).

This module is a pytest plugin (tests/conftest.py lists it in `pytest_plugins`), so its fixtures
are everywhere: `emulator_servers` (the pool), `emulator_factory`, `emulator_kind` (asgi, then
http) and `make_emulator` (the factory bound to that kind, so each test runs against both), and
`emulator`, the one emulator a suite's tests share, started as the `emulator_options` fixture says.
A suite overrides `emulator_options` in its conftest (parametrize it to run each test on several
kinds); the default is a server of its own over real HTTP with lists "newsletter" and "vip", as the
pipeline's test warehouse uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from sakari_client import SakariClient
from sakari_emulator.app import create_app
from sakari_emulator.config import EmulatorConfig
from sakari_emulator.models import EmulatorBackend
from sakari_emulator.routes import CONTACT as CONTACT_ROUTE
from sakari_emulator.routes import CONTACTS as CONTACTS_ROUTE
from sakari_emulator.routes import TOKEN as TOKEN_ROUTE
from sakari_emulator.server import EmulatorServer
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

__all__ = [
    "CONTACTS_PATH", "CONTACTS_ROUTE", "CONTACT_ROUTE", "IN_PROCESS_URL", "PIPELINE_LISTS",
    "TOKEN_REQUEST", "TOKEN_ROUTE", "Emulator", "EmulatorFactory", "Kind", "MakeEmulator",
    "ServerPool", "emulator", "emulator_factory", "emulator_kind", "emulator_options",
    "emulator_servers", "make_emulator",
]  # fmt: skip

Kind = Literal["asgi", "http"]
TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
}
CONTACTS_PATH = f"/v1/accounts/{DEMO_ACCOUNT_ID}/contacts"
# A loopback URL for in-process emulators: clients that insist on https for remote hosts accept it.
IN_PROCESS_URL = "http://127.0.0.1"
# The lists the pipeline's test warehouse puts contacts in (its `segments` column).
PIPELINE_LISTS = ["newsletter", "vip"]


@dataclass
class Emulator:
    """One running emulator: where it is, its state in-process, and raw-HTTP helpers for tests.

    `http` is a plain `httpx.AsyncClient` at `url` (made on first use, closed by the factory);
    `login()` puts a bearer token on it. The inspection helpers call the `/_emulator/` routes.
    Sync tests can read and drive the state directly through `backend` in both kinds; `client()`
    builds a `SakariClient` logged in with the emulator's credentials.
    """

    kind: Kind
    url: str
    app: Starlette
    transport: httpx.AsyncBaseTransport | None
    lists: dict[str, str]
    _http: httpx.AsyncClient | None = field(default=None, repr=False)

    @property
    def backend(self) -> EmulatorBackend:
        backend: EmulatorBackend = self.app.state.emulator
        return backend

    @property
    def config(self) -> EmulatorConfig:
        return self.backend.config

    @property
    def credentials(self) -> dict[str, str]:
        """`account_id`, `client_id` and `client_secret`, as keyword arguments for a client."""
        config = self.config
        return {
            "account_id": config.account_id,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }

    def client(self, **kwargs: Any) -> SakariClient:
        """A `SakariClient` for this emulator (its transport, its credentials unless `kwargs` say)."""
        return SakariClient(self.url, **{**self.credentials, "transport": self.transport, **kwargs})

    @property
    def contacts_path(self) -> str:
        return f"/v1/accounts/{self.config.account_id}/contacts"

    @property
    def http(self) -> httpx.AsyncClient:
        """The raw client (no retries, no auth until `login()`)."""
        if self._http is None:
            self._http = self.new_http()
        return self._http

    def new_http(self, **kwargs: Any) -> httpx.AsyncClient:
        """Another raw client for this emulator (the caller closes it)."""
        kwargs.setdefault("timeout", 10)
        return httpx.AsyncClient(base_url=self.url, transport=self.transport, **kwargs)

    async def token(self) -> str:
        """A fresh access token for the configured credentials."""
        body = {"grant_type": "client_credentials", "client_id": self.config.client_id}
        response = await self.http.post(
            TOKEN_ROUTE, json={**body, "client_secret": self.config.client_secret}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def login(self) -> Emulator:
        """Put a bearer token on `http`; returns self."""
        self.http.headers["Authorization"] = f"Bearer {await self.token()}"
        return self

    async def create(
        self, body: dict[str, Any], strategy: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """`POST contacts` with a JSON body (log in first)."""
        params = {} if strategy is None else {"mergeStrategy": strategy}
        return await self.http.post(self.contacts_path, json=body, params=params, **kwargs)

    async def create_ok(self, body: dict[str, Any], strategy: str | None = None) -> dict[str, Any]:
        """`create`, asserting 201; returns the contact."""
        response = await self.create(body, strategy)
        assert response.status_code == 201, response.text
        contact: dict[str, Any] = response.json()["data"][0]
        return contact

    async def inspect(self, method: str, path: str, body: Any = None) -> Any:
        """Call an `/_emulator/` route (no auth, no faults) and return its JSON; raises on 4xx/5xx."""
        response = await self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    async def set_faults(self, **faults: Any) -> dict[str, Any]:
        """`PATCH /_emulator/faults`; returns every fault setting."""
        answer: dict[str, Any] = (await self.inspect("PATCH", "/_emulator/faults", faults))["data"]
        return answer

    async def set_styles(self, **styles: str) -> dict[str, Any]:
        """`PATCH /_emulator/styles` (`pagination_style`, `bulk_answer_style`); returns both."""
        answer: dict[str, Any] = (await self.inspect("PATCH", "/_emulator/styles", styles))["data"]
        return answer

    async def add_rule(self, **rule: Any) -> dict[str, Any]:
        """`POST /_emulator/rules` (status, mobile, method, route, code, message, retry_after, drop,
        times); returns the rule with its id."""
        answer: dict[str, Any] = (await self.inspect("POST", "/_emulator/rules", rule))["data"]
        return answer

    async def block(self, mobile: str) -> dict[str, Any]:
        """Block a mobile as a STOP reply would; returns `{mobile, blocked, contact}`."""
        answer: dict[str, Any] = (await self.inspect("POST", "/_emulator/block", {"mobile": mobile}))["data"]
        return answer

    async def stats(self) -> dict[str, Any]:
        """`{requests: [{method, route, status, count}], total, dropped}`."""
        answer: dict[str, Any] = await self.inspect("GET", "/_emulator/stats")
        return answer

    async def count(self, method: str, route: str, status: int | None = None) -> int:
        """Requests answered for `method route` (a template, e.g. CONTACTS_ROUTE), optionally by status."""
        rows = (await self.stats())["requests"]
        return sum(
            row["count"]
            for row in rows
            if row["method"] == method and row["route"] == route and status in (None, row["status"])
        )

    async def token_requests(self) -> int:
        """Token requests answered so far, whatever their status."""
        return await self.count("POST", TOKEN_ROUTE)

    async def contacts(self) -> list[dict[str, Any]]:
        """Every contact, fully rendered, in creation order."""
        answer: list[dict[str, Any]] = await self.inspect("GET", "/_emulator/contacts")
        return answer

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


class ServerPool:
    """Real servers, one per configuration, started on first use and reset before each reuse."""

    def __init__(self) -> None:
        self._servers: dict[str, EmulatorServer] = {}

    def get(self, config: EmulatorConfig) -> EmulatorServer:
        key = repr(config)
        server = self._servers.get(key)
        if server is None:
            server = self._servers[key] = EmulatorServer(config)
            server.start()
        restore(server.backend, config)
        return server

    def close(self) -> None:
        """Stop every server (in parallel: each takes ~0.2 s); safe to call twice."""
        servers, self._servers = list(self._servers.values()), {}
        with ThreadPoolExecutor() as pool:
            list(pool.map(EmulatorServer.stop, servers))


def restore(backend: EmulatorBackend, config: EmulatorConfig) -> None:
    """As good as new: no contacts, blocks, counts or rules; faults and styles as `config` says."""
    backend.faults.update(config.faults())
    backend.set_styles(config.styles())
    backend.reset()


class EmulatorFactory:
    """Starts emulators for one test and cleans up after it (see the module docstring)."""

    def __init__(self, pool: ServerPool | None = None) -> None:
        self._pool = pool
        self._started: list[Emulator] = []
        self._cleanups: list[Callable[[], None]] = []

    def start(self, kind: Kind = "http", *, fresh: bool = False, **overrides: Any) -> Emulator:
        """An emulator configured by `EmulatorConfig(port=0, **overrides)`."""
        config = EmulatorConfig(**{"port": 0, **overrides})
        transport: httpx.AsyncBaseTransport | None = None
        if kind == "asgi":
            app = create_app(config)
            transport, url = httpx.ASGITransport(app=app), IN_PROCESS_URL
            self._cleanups.append(app.state.emulator.close)
        elif fresh or self._pool is None:
            server = EmulatorServer(config)
            server.start()
            app, url = server.app, server.url
            self._cleanups.append(server.stop)
        else:
            server = self._pool.get(config)
            app, url = server.app, server.url
        lists = {name: list_id for list_id, name in app.state.emulator.lists()}
        emulator = Emulator(kind, url, app, transport, lists)
        self._started.append(emulator)
        return emulator

    async def aclose(self) -> None:
        """Close the raw clients, then what `close` closes."""
        for emulator in self._started:
            await emulator.aclose()
        self.close()

    def close(self) -> None:
        """Stop own servers and close in-process state (pooled servers keep running)."""
        cleanups, self._cleanups, self._started = self._cleanups, [], []
        for cleanup in reversed(cleanups):
            cleanup()


MakeEmulator = Callable[..., Emulator]
# One pool per test process (the plugin is loaded once).
_POOL = ServerPool()


@pytest.fixture(scope="session")
def emulator_servers() -> Iterator[ServerPool]:
    """The pool of real emulator servers, stopped at the end of the session."""
    yield _POOL
    _POOL.close()


@pytest_asyncio.fixture(loop_scope="function")
async def emulator_factory(emulator_servers: ServerPool) -> AsyncIterator[EmulatorFactory]:
    """Start emulators with `factory.start(kind, **config)`; everything is cleaned up after the test."""
    factory = EmulatorFactory(emulator_servers)
    yield factory
    await factory.aclose()


@pytest.fixture(params=["asgi", "http"])
def emulator_kind(request: pytest.FixtureRequest) -> Kind:
    """Each test using it runs in-process, then over real HTTP."""
    kind: Kind = request.param
    return kind


@pytest.fixture
def make_emulator(emulator_factory: EmulatorFactory, emulator_kind: Kind) -> MakeEmulator:
    """`make_emulator(**config)`: an emulator of this run's kind (asgi, then http)."""

    def make(**overrides: Any) -> Emulator:
        return emulator_factory.start(emulator_kind, **overrides)

    return make


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """How `emulator` starts: `kind`, `fresh` and `EmulatorConfig` fields (suites override this)."""
    return {"kind": "http", "fresh": True, "lists": list(PIPELINE_LISTS)}


@pytest_asyncio.fixture(loop_scope="function")
async def emulator(emulator_factory: EmulatorFactory, emulator_options: dict[str, Any]) -> Emulator:
    """The suite's emulator, as its `emulator_options` say; stopped after the test."""
    return emulator_factory.start(**emulator_options)

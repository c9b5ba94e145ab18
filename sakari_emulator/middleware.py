"""The ASGI layer around the API routes: request statistics, added latency and drops after commit.

A drop works on the ASGI messages, so it behaves the same under any server: the route runs and
commits, the answer's start (status and `Content-Length`) is sent, then `ConnectionDroppedError`
is raised instead of the body. uvicorn closes the connection; the client gets a transport error.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import ConnectionDroppedError
from .models import EmulatorBackend

_WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class EmulatorMiddleware:
    """Counts every API request by route template and status, and applies latency and drops."""

    def __init__(self, app: ASGIApp, backend: EmulatorBackend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        faults = self.backend.faults
        delay = faults.delay()
        if delay:
            await anyio.sleep(delay)
        drop = scope["method"] in _WRITES and scope["path"].startswith("/v1/") and faults.should_drop()
        status = 500
        held: list[Message] = []

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            if drop:
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = getattr(scope.get("route"), "path", "(no route)")
            self.backend.record_request(scope["method"], route, status)
        if drop and 200 <= status < 300:
            self.backend.record_drop()
            await send(held[0])
            raise ConnectionDroppedError("Connection dropped after the write committed (emulator fault)")
        for message in held:
            await send(message)

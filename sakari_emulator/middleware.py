"""The ASGI layer around the API routes: request statistics, added latency, drops after commit, and
clients that go away.

A drop works on the ASGI messages, so it behaves the same under any server: the route runs and
commits, the answer's start (status and `Content-Length`) is sent, then `ConnectionDroppedError`
is raised instead of the body. uvicorn closes the connection; the client gets a transport error.
A drop is asked for by `drop_rate` (decided here, before the route) or by a fault rule or the
`X-Emulator-Fault: drop` header (marked in the scope by the route); it happens only after a 2xx.

A client that closes its connection while its body is being read (Starlette's `ClientDisconnect`)
is counted under status 499 (nginx's "client closed request"; nothing was written or answered) and
leaves no traceback.
"""

from __future__ import annotations

from typing import Final

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import ConnectionDroppedError
from .models import EmulatorBackend
from .rules import DROP_KEY

CLIENT_CLOSED: Final = 499
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
        if scope["method"] in _WRITES and scope["path"].startswith("/v1/") and faults.should_drop():
            scope[DROP_KEY] = True
        status = 500
        start: Message | None = None
        dropped = False

        async def watch(message: Message) -> None:
            # The start is held until the body: by then the route has said whether to drop.
            nonlocal status, start, dropped
            if message["type"] == "http.response.start":
                status, start = message["status"], message
                return
            if start is not None:
                await send(start)
                start = None
                dropped = bool(scope.get(DROP_KEY)) and 200 <= status < 300
            if not dropped:
                await send(message)

        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:
            status = CLIENT_CLOSED  # nobody is left to answer, and nothing was written
        finally:
            route = getattr(scope.get("route"), "path", "(no route)")
            self.backend.record_request(scope["method"], route, status)
        if dropped:
            self.backend.record_drop()
            raise ConnectionDroppedError("Connection dropped after the write committed (emulator fault)")

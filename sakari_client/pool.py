"""`SplitPoolTransport`: the connections spread over a few small httpcore pools instead of one big one.

Why: httpcore's connection pool re-examines every queued request against every connection each
time a request starts or a response closes, and asks the socket of every idle connection whether
the server has hung up (a `getpeername` and a `select` through anyio's extra-attribute machinery).
That work grows with requests in flight × connections: at 16 in flight on one pool of 16, the
client spent about 3.9–4.7 ms of CPU per create against the emulator, and 1.8–2.1 ms with the same
16 connections as four pools of four (bench/, the same machine and minutes), doubling creates/s
where the client's CPU is what limits the pace. Pools of four cost as little as pools of one.

Each request goes to the pool with the fewest requests in flight, counted until its response is
closed, so no pool queues a request while another has a free connection.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable

import httpx

CONNECTIONS_PER_POOL = 4


class SplitPoolTransport(httpx.AsyncBaseTransport):
    """Route each request to the least busy of several `httpx.AsyncHTTPTransport` pools."""

    def __init__(self, connections: int, *, verify: bool = True) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        pools = math.ceil(connections / CONNECTIONS_PER_POOL)
        size = math.ceil(connections / pools)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        tls = httpx.create_ssl_context(verify=verify)  # one CA bundle load, not one per pool
        self._pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(pools)]
        self._busy = [0] * pools

    @property
    def pools(self) -> int:
        return len(self._pools)

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests each pool is serving now (sent, and response not yet closed)."""
        return tuple(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        stream = _ReleasingStream(response.stream, lambda: self._release(index))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
        )

    def _release(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that tells its pool's counter, once, when it is closed."""

    def __init__(
        self, inner: httpx.AsyncByteStream | httpx.SyncByteStream, release: Callable[[], None]
    ) -> None:
        if not isinstance(inner, httpx.AsyncByteStream):
            raise TypeError("an async transport must answer with an async stream")
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()

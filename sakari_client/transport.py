"""The client's default HTTP transport: httpx's API over aiohttp's connection pool (`httpx-aiohttp`).

Why: with 16 requests in flight, httpcore's pool spends its time re-examining queued requests and
idle connections, and the client's CPU, not the server, sets the pace. Measured with
`python -m sakari_client.measure --how ...` (the emulator in its own process, 3,000 creates, 16 in
flight, on a shared 2-core machine under a load average of 3 to 5.6, five rounds: rates varied
threefold, CPU per create much less), in ms of client CPU per create:

    bare httpx.AsyncClient on httpcore            4.0-5.1      on this transport   1.2-1.7
    SakariClient on one httpcore pool             3.9-5.3      on this transport   1.35-2.1
    SakariClient on four httpcore pools of four   2.4-3.6  (its previous default, `SplitPoolTransport`)

So the split pools are gone: they saved half of httpcore's cost, this transport saves more and
needs no workaround. (The client's own part also shrank: it keeps the URL of a repeated request
instead of having httpx parse it again each time.)

What this module adds to `httpx_aiohttp.AiohttpTransport`: aiohttp's failures mapped to the httpx
exceptions they mean. The library maps a dropped connection (`ServerDisconnectedError`) to
`httpx.ConnectTimeout`, which would tell a user the request never left when it may have been
committed, and lets some timeouts through as bare `TimeoutError`. Here every failure of
the exchange, body included, surfaces as the closest `httpx.TransportError`, with aiohttp's own
message, so `responses.transport_failure` reads them exactly as it reads httpcore's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport as _LibraryTransport

# Most specific first: the first class the failure is an instance of decides.
_MAPPING: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientSSLError, httpx.ConnectError),  # certificate or handshake: the message says which
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unreachable, DNS
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),  # the answer never came
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # the body was cut short
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # an answer aiohttp could not parse
    (aiohttp.ClientConnectionError, httpx.ReadError),  # reset while sending or reading
    (TimeoutError, httpx.TimeoutException),
    (aiohttp.ClientError, httpx.TransportError),
)


class AiohttpTransport(_LibraryTransport):
    """`httpx_aiohttp.AiohttpTransport` whose failures are all precise `httpx.TransportError`s."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with mapped_failures():
            response = await super().handle_async_request(request)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _MappedStream(response.stream)
        return response


def build_default_transport(connections: int, *, verify: bool = True) -> httpx.AsyncBaseTransport:
    """The transport `SakariClient` builds when handed none: TLS verified against the system's
    trusted authorities (and `SSL_CERT_FILE`), at most `connections` kept-alive connections."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return AiohttpTransport(verify=verify, limits=limits)


class _MappedStream(httpx.AsyncByteStream):
    """A response body whose read failures (a drop, a truncation) are mapped like the send's."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with mapped_failures():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with mapped_failures():
            await self._inner.aclose()


@contextmanager
def mapped_failures() -> Iterator[None]:
    """Re-raise aiohttp's failures (raw, or as the library mapped them) as the httpx error they mean."""
    try:
        yield
    except httpx.TransportError as exc:
        # Mapped by the library already: map again from what aiohttp really raised.
        cause = exc.__cause__
        remapped = _mapped(cause) if cause is not None else None
        if remapped is None:
            raise
        raise remapped from cause
    except (TimeoutError, aiohttp.ClientError) as exc:
        mapped = _mapped(exc)
        if mapped is None:
            raise
        raise mapped from exc


def _mapped(exc: BaseException) -> httpx.TransportError | None:
    for source, target in _MAPPING:
        if isinstance(exc, source):
            return target(str(exc) or type(exc).__name__)
    return None

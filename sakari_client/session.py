"""The request path every call takes: one retry layer around one paced, authorized HTTP exchange.

`ApiSession.call` is the single retry layer (stamina; transient errors only, exponential back-off
with jitter, `Retry-After` honoured, bounded attempts and total time) around `_attempt`, which
takes a token, sends once through the pacer (and the shared limit, if any), and on a 401 renews the
token once and sends again. `read_response` alone decides what an answer means; a failure with no
answer becomes a `TransientError` naming the URL it tried.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
import stamina

from sakari_client.auth import TokenCache
from sakari_client.errors import AuthenticationError, RateLimitedError, SakariError, TransientError
from sakari_client.ratelimit import AdaptivePacer
from sakari_client.responses import raw_body, read_response, transport_failure, validated

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class ClientStats:
    """What the client has sent so far. `by_status` counts answers; a failure with no answer
    counts in `transport_errors` instead. `token_fetches` counts token requests sent."""

    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    transport_errors: int = 0
    token_fetches: int = 0


class SharedLimit(Protocol):
    """A rate shared with other clients (see shared_limit.py): one `acquire()` per request sent.
    The client that is given one owns it: `SakariClient.aclose` closes it."""

    async def acquire(self) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How long the retry layer keeps trying a call: attempts and seconds, whichever ends first."""

    attempts: int = 8
    timeout: float = 120.0


class ApiSession:
    """An httpx client, a token cache, a pacer and the retry layer: everything a call goes through."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: dict[str, str],
        pacer: AdaptivePacer,
        retry: RetryPolicy,
        shared_limit: SharedLimit | None = None,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._pacer = pacer
        self._retry = retry
        self._shared_limit = shared_limit  # e.g. shared_limit.SharedRateLimit: one rate for all clients
        self._tokens = TokenCache(self._fetch_token)
        # httpx parses and merges a relative URL and its query on every request (about a third of
        # the CPU it spends building one); a create's URL is the same every time, so keep it.
        self._url = functools.lru_cache(maxsize=64)(self._build_url)
        self.stats = ClientStats()

    def __repr__(self) -> str:
        return f"<ApiSession {self._http.base_url} {self._tokens!r}>"

    @property
    def current_rate(self) -> float | None:
        """The pacer's rate in requests/s (None: unlimited)."""
        return self._pacer.current_rate

    async def aclose(self) -> None:
        """Close the connection pool, then the shared limit (whatever the first did)."""
        try:
            await self._http.aclose()
        finally:
            if self._shared_limit is not None:
                await self._shared_limit.aclose()

    async def call(self, method: str, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        """The one retry layer: repeat `_attempt` on transient errors, within attempts and time.

        The first attempt runs before stamina's loop is built (building it costs about 40 µs, as
        much as the rest of the client's own work on a create); a transient failure is handed to the
        loop as its first attempt's outcome, so the schedule, the budget and stamina's testing mode
        and instrumentation apply exactly as if the loop had sent it."""
        deadline = time.monotonic() + self._retry.timeout
        try:
            return await self._attempt(method, path, parse, kwargs)
        except TransientError as exc:
            failure = exc
        left = deadline - time.monotonic()
        if left <= 0:
            raise failure  # the first attempt used the whole budget
        first: TransientError | None = failure

        def should_retry(exc: Exception) -> bool | float:
            if not isinstance(exc, TransientError):
                return False
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                # Wait as asked, unless that outlasts the budget: then give up now, not later.
                return exc.retry_after if time.monotonic() + exc.retry_after < deadline else False
            return True

        async for attempt in stamina.retry_context(
            on=should_retry,
            attempts=self._retry.attempts,
            timeout=left,
            wait_initial=0.2,
            wait_max=10.0,
            wait_jitter=0.5,
        ):
            with attempt:
                if first is not None:
                    failed, first = first, None
                    raise failed
                self.stats.retries += 1
                return await self._attempt(method, path, parse, kwargs)
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _attempt(self, method: str, path: str, parse: Callable[[Any], T], kwargs: dict[str, Any]) -> T:
        """Send once with the current token; after a 401, renew the token once and send again.

        The token is read when the pacer grants the turn, not before: a request that queued behind
        a pause must not leave with a token that expired while it waited."""
        used: list[str] = []

        async def authorized() -> httpx.Request:
            token = await self._tokens.token()
            used.append(token)
            return self._request(method, path, token, kwargs)

        try:
            return await self._send(authorized, parse)
        except AuthenticationError:
            if not used:
                raise  # the token request itself was refused: wrong credentials
            await self._tokens.refresh(rejected=used[-1])
        return await self._send(authorized, parse)

    def _request(self, method: str, path: str, token: str, kwargs: dict[str, Any]) -> httpx.Request:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        params = kwargs.get("params") or {}
        rest = {k: v for k, v in kwargs.items() if k not in ("headers", "params")}
        url = self._url(path, tuple(params.items()))
        return self._http.build_request(method, url, headers=headers, **rest)

    def _build_url(self, path: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
        return self._http.build_request("GET", path, params=dict(params)).url

    async def _fetch_token(self) -> Any:
        self.stats.token_fetches += 1
        request = self._http.build_request(
            "POST", "/oauth2/token", json={"grant_type": "client_credentials", **self._credentials}
        )
        # Not through the pacer: the requests holding its slots may be waiting for this very token.
        return await self._send(request, raw_body, paced=False)

    async def _send(
        self,
        build: httpx.Request | Callable[[], Awaitable[httpx.Request]],
        parse: Callable[[Any], T],
        *,
        paced: bool = True,
    ) -> T:
        """One HTTP exchange through the pacer; feeds the pacer and the stats with its outcome."""
        async with self._pacer.slot() if paced else _unpaced() as ticket:
            if self._shared_limit is not None:
                await self._shared_limit.acquire()
            request = build if isinstance(build, httpx.Request) else await build()
            self.stats.requests += 1
            started = time.monotonic()
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                self.stats.transport_errors += 1
                logger.debug("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
                raise transport_failure(exc, request) from exc
        self.stats.by_status[response.status_code] += 1
        logger.debug(
            "%s %s -> %s in %.0f ms",
            request.method,
            request.url.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        try:
            data = read_response(response)
        except RateLimitedError as exc:
            self.stats.rate_limited += 1
            if paced:
                self._pacer.record_rate_limited(ticket, exc.retry_after)
            raise
        except TransientError:
            raise
        except SakariError:
            if paced:
                self._pacer.record_success(ticket)  # a refusal, but not an overload
            raise
        if paced:
            self._pacer.record_success(ticket)
        return validated(parse, data, response.status_code)


@asynccontextmanager
async def _unpaced() -> AsyncIterator[float]:
    yield time.monotonic()

"""`SakariClient`: Sakari's contact API over kept-alive httpx connections (a few small pools).

Every call goes the same way: `_call` is the single retry layer (stamina; transient errors only,
exponential back-off with jitter, `Retry-After` honoured, bounded attempts and total time) around
`_attempt`, which takes a token, sends once through the pacer, and on a 401 renews the token once
and sends again. `read_response` alone decides what an answer means.

The client imports nothing from Prefect: it is handed an httpx transport (tests plug in the
emulator's ASGI app or a real server) or builds a TLS-verifying default one: `SplitPoolTransport`,
its connections spread over pools of four, because one httpcore pool of 16 costs about 2 ms of CPU
more per request (see `sakari_client.pool`).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
import stamina

from sakari_client.auth import TokenCache
from sakari_client.bulk import build_csv
from sakari_client.errors import AuthenticationError, RateLimitedError, SakariError, TransientError
from sakari_client.models import BulkUploadResult, Contact, ContactIn, MergeStrategy
from sakari_client.pool import SplitPoolTransport
from sakari_client.ratelimit import AdaptivePacer
from sakari_client.redaction import redact_logger
from sakari_client.responses import (
    bulk_result,
    ignore_body,
    one_contact,
    page_of_contacts,
    raw_body,
    read_response,
    transport_failure,
    validated,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

LIST_FILTERS = frozenset({"firstName", "lastName", "mobile", "email"})
MAX_PAGE_SIZE = 100


@dataclass
class ClientStats:
    """What the client has sent so far. `by_status` counts answers; a failure with no answer
    counts in `transport_errors` instead."""

    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    transport_errors: int = 0
    token_fetches: int = 0


class SharedLimit(Protocol):
    """A rate shared with other clients (see shared_limit.py): one `acquire()` per request sent."""

    async def acquire(self) -> None: ...


class SakariClient:
    """Async client for Sakari contacts. Use as `async with SakariClient(...) as client:`."""

    def __init__(
        self,
        base_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit: float | None = None,
        initial_rate: float | None = None,
        max_in_flight: int = 16,
        timeout: float = 30.0,
        retry_attempts: int = 8,
        retry_timeout: float = 120.0,
        allow_insecure_http: bool = False,
        shared_limit: SharedLimit | None = None,
    ) -> None:
        url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        redact_logger("httpx")  # it logs each request URL at INFO; a search URL can hold a number
        self._contacts_path = f"/v1/accounts/{quote(account_id, safe='')}/contacts"
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._retry_attempts = retry_attempts
        self._retry_timeout = retry_timeout
        self._pacer = AdaptivePacer(rate_limit, initial_rate=initial_rate, max_in_flight=max_in_flight)
        self._shared_limit = shared_limit  # e.g. shared_limit.SharedRateLimit: one rate for all clients
        self._tokens = TokenCache(self._fetch_token)
        self._stats = ClientStats()
        self._http = httpx.AsyncClient(
            base_url=url,
            # Two connections beyond the requests in flight, for the token exchange and a straggler.
            transport=transport or SplitPoolTransport(max_in_flight + 2, verify=True),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json", "User-Agent": "sakari-sync"},
            follow_redirects=False,
        )
        self._base = str(url)

    def __repr__(self) -> str:
        return f"<SakariClient {self._base} {self._contacts_path}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def stats(self) -> ClientStats:
        """Requests sent, answers by status, retries, 429s, transport failures, token fetches."""
        return self._stats

    @property
    def current_rate(self) -> float | None:
        """The pace learned so far in requests/s (None: unlimited); pass as `initial_rate` next run."""
        return self._pacer.current_rate

    # --- contacts ------------------------------------------------------------------------------

    async def create_contact(self, contact: ContactIn, merge_strategy: MergeStrategy = "append") -> Contact:
        """Create a contact, or merge into the one with the same mobile (Sakari upserts by mobile).

        A blocked mobile still answers 201: the contact comes back with `error.code == "CONT-010"`.
        """
        return await self._call(
            "POST", "", one_contact, params={"mergeStrategy": merge_strategy}, json=contact.to_body()
        )

    async def get_contact(self, contact_id: str) -> Contact:
        """Fetch one contact by id; `NotFoundError` if there is none."""
        return await self._call("GET", _segment(contact_id), one_contact)

    async def update_contact(self, contact_id: str, contact: ContactIn) -> Contact:
        """Replace a contact's editable fields (PUT)."""
        return await self._call("PUT", _segment(contact_id), one_contact, json=contact.to_body())

    async def delete_contact(self, contact_id: str) -> None:
        """Delete a contact; `NotFoundError` if there is none."""
        await self._call("DELETE", _segment(contact_id), ignore_body)

    async def list_contacts(self, page_size: int = MAX_PAGE_SIZE, **filters: str) -> AsyncIterator[Contact]:
        """Every contact matching `filters` (firstName, lastName, mobile, email: all or part of the
        value), page by page in Sakari's order, until a page says there is no next one."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        unknown = set(filters) - LIST_FILTERS
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}; use {sorted(LIST_FILTERS)}")
        offset = 0
        while True:
            params = {**filters, "offset": str(offset), "limit": str(page_size)}
            pagination, contacts = await self._call("GET", "", page_of_contacts, params=params)
            for contact in contacts:
                yield contact
            if not pagination.hasNext or not contacts:
                return
            offset += len(contacts)

    async def count_contacts(self, **filters: str) -> int:
        """How many contacts match `filters` (the whole account without any): one request."""
        params = {**filters, "offset": "0", "limit": "1"}
        pagination, contacts = await self._call("GET", "", page_of_contacts, params=params)
        return pagination.totalCount if pagination.totalCount is not None else len(contacts)

    async def upload_csv(
        self, contacts: Sequence[ContactIn], merge_strategy: MergeStrategy = "append"
    ) -> BulkUploadResult:
        """Send many contacts in one CSV request (the bulk import path of `POST /contacts`).

        Rows Sakari refuses one by one come back in `errors`; a 400 for the whole file raises
        `ContactRejectedError`. A retry after a dropped connection re-imports the same rows: Sakari
        merges them by mobile, so nothing is duplicated, but the counts then say updated, not
        inserted.
        """
        body = build_csv(contacts).encode("utf-8")
        return await self._call(
            "POST",
            "",
            bulk_result,
            params={"mergeStrategy": merge_strategy},
            content=body,
            headers={"Content-Type": "text/csv; charset=utf-8"},
        )

    # --- the request path ----------------------------------------------------------------------

    async def _call(self, method: str, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        """The one retry layer: repeat `_attempt` on transient errors, within attempts and time."""
        deadline = time.monotonic() + self._retry_timeout

        def should_retry(exc: Exception) -> bool | float:
            if not isinstance(exc, TransientError):
                return False
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                # Wait as asked, unless that outlasts the budget: then give up now, not later.
                return exc.retry_after if time.monotonic() + exc.retry_after < deadline else False
            return True

        async for attempt in stamina.retry_context(
            on=should_retry,
            attempts=self._retry_attempts,
            timeout=self._retry_timeout,
            wait_initial=0.2,
            wait_max=10.0,
            wait_jitter=0.5,
        ):
            with attempt:
                if attempt.num > 1:
                    self._stats.retries += 1
                return await self._attempt(method, self._contacts_path + path, parse, kwargs)
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
        return self._http.build_request(method, path, **{**kwargs, "headers": headers})

    async def _fetch_token(self) -> Any:
        self._stats.token_fetches += 1
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
            self._stats.requests += 1
            started = time.monotonic()
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                self._stats.transport_errors += 1
                logger.debug("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
                raise transport_failure(exc) from exc
        self._stats.by_status[response.status_code] += 1
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
            self._stats.rate_limited += 1
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


def check_base_url(base_url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Parse the API base URL, refusing plain http:// to anything but this machine.

    Credentials and tokens travel in every request, so cleartext is allowed only for loopback (the
    emulator) unless `allow_insecure_http=True` says otherwise.
    """
    url = httpx.URL(base_url.rstrip("/"))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if url.path.endswith("/v1"):
        raise ValueError("base_url must not end in /v1: the client adds it (the token URL has none)")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ValueError(
            f"refusing plain http:// to {url.host}: credentials would travel unencrypted. "
            "Use https://, or pass allow_insecure_http=True if you really mean it."
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _segment(contact_id: str) -> str:
    return "/" + quote(contact_id, safe="")

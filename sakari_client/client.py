"""`SakariClient`: Sakari's contact API over kept-alive httpx connections.

Every call goes the same way, through `sakari_client.session.ApiSession`: one retry layer
(stamina, transient errors only, `Retry-After` honoured) around one paced, authorized exchange that
renews the token once on a 401. `sakari_client.responses` alone decides what an answer means.

The client imports nothing from Prefect: it is handed an httpx transport (tests plug in the
emulator's ASGI app or a real server) or builds a TLS-verifying default one: httpx over aiohttp
(`sakari_client.transport`), which costs a fraction of httpcore's CPU per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from sakari_client.bulk import CsvContact, build_csv
from sakari_client.models import (
    BulkUploadResult,
    Contact,
    ContactIn,
    EncodedContact,
    MergeStrategy,
    SavedContact,
)
from sakari_client.paging import PageCursor
from sakari_client.ratelimit import AdaptivePacer
from sakari_client.redaction import redact_logger
from sakari_client.responses import bulk_result, ignore_body, page_of_contacts, saved_contact
from sakari_client.session import ApiSession, ClientStats, RetryPolicy, SharedLimit

__all__ = ["ClientStats", "SakariClient", "SharedLimit"]
from sakari_client.transport import build_default_transport
from sakari_client.urls import check_base_url

logger = logging.getLogger(__name__)

T = TypeVar("T")

LIST_FILTERS = frozenset({"firstName", "lastName", "mobile", "email"})
MAX_PAGE_SIZE = 100
_E164 = re.compile(r"\+[1-9]\d{6,14}")


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
        redact_logger("aiohttp.client")  # the default transport's logger: nothing private today
        self._contacts_path = f"/v1/accounts/{quote(account_id, safe='')}/contacts"
        http = _HttpClient(
            base_url=url,
            # Two connections beyond the requests in flight, for the token exchange and a straggler.
            transport=transport or build_default_transport(max_in_flight + 2, verify=True),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json", "User-Agent": "sakari-sync"},
            follow_redirects=False,
        )
        self._session = ApiSession(
            http,
            {"client_id": client_id, "client_secret": client_secret},
            AdaptivePacer(rate_limit, initial_rate=initial_rate, max_in_flight=max_in_flight),
            RetryPolicy(attempts=retry_attempts, timeout=retry_timeout),
            shared_limit,
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
        """Close the connection pool, and the shared limit the client was given (it owns it)."""
        await self._session.aclose()

    @property
    def stats(self) -> ClientStats:
        """Requests sent, answers by status, retries, 429s, transport failures, token fetches."""
        return self._session.stats

    @property
    def current_rate(self) -> float | None:
        """The pace learned so far in requests/s (None: unlimited); pass as `initial_rate` next run."""
        return self._session.current_rate

    # --- contacts ------------------------------------------------------------------------------

    async def create_contact(
        self, contact: ContactIn | EncodedContact, merge_strategy: MergeStrategy = "append"
    ) -> SavedContact:
        """Create a contact, or merge into the one with the same mobile (Sakari upserts by mobile).

        An `EncodedContact` is sent byte for byte as given. A blocked mobile still answers 201: the
        contact comes back with `error.code == "CONT-010"`. An answer without the contact's id
        raises `UnconfirmedContactError` (a `ContactRejectedError`: record it and go on).
        """
        return await self._call(
            "POST", "", saved_contact, params={"mergeStrategy": merge_strategy}, **_body(contact)
        )

    async def get_contact(self, contact_id: str) -> SavedContact:
        """Fetch one contact by id; `NotFoundError` if there is none."""
        return await self._call("GET", _segment(contact_id), partial(saved_contact, contact_id=contact_id))

    async def update_contact(self, contact_id: str, contact: ContactIn | EncodedContact) -> SavedContact:
        """Replace a contact's editable fields (PUT)."""
        parse = partial(saved_contact, contact_id=contact_id)
        return await self._call("PUT", _segment(contact_id), parse, **_body(contact))

    async def delete_contact(self, contact_id: str) -> None:
        """Delete a contact; `NotFoundError` if there is none."""
        await self._call("DELETE", _segment(contact_id), ignore_body)

    async def list_contacts(self, page_size: int = MAX_PAGE_SIZE, **filters: str) -> AsyncIterator[Contact]:
        """Every contact matching `filters` (firstName, lastName, mobile, email: all or part of the
        value), page by page in Sakari's order, each once. Pages on while `hasNext` or `totalCount`
        says more follows, or, when a page has neither, while pages come back full; an empty page
        ends it (see `sakari_client.paging`)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        unknown = set(filters) - LIST_FILTERS
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}; use {sorted(LIST_FILTERS)}")
        cursor = PageCursor(page_size)
        more = True
        while more:
            params = {**filters, "offset": str(cursor.offset), "limit": str(page_size)}
            pagination, page = await self._call("GET", "", page_of_contacts, params=params)
            contacts, more = cursor.take(pagination, page)
            for contact in contacts:
                yield contact

    async def count_contacts(self, **filters: str) -> int:
        """How many contacts match `filters` (the whole account without any).

        One request when the answer carries `totalCount`, as Sakari documents. Without it, the
        contacts are counted by listing them all (one request per 100), with a warning saying so:
        an exact count, at the price of a listing."""
        params = {**filters, "offset": "0", "limit": "1"}
        pagination, contacts = await self._call("GET", "", page_of_contacts, params=params)
        if pagination.totalCount is not None:
            return pagination.totalCount
        if not contacts:
            return 0
        logger.warning("Sakari's answer has no totalCount: counting the contacts by listing them")
        count = 0
        async for _ in self.list_contacts(MAX_PAGE_SIZE, **filters):
            count += 1
        return count

    async def find_by_mobile(self, number: str) -> Contact | None:
        """The contact whose mobile is exactly `number` (E.164, e.g. `+14155550123`), or None.

        Sakari's `mobile` filter matches all or part of a number, so the results are checked for
        the exact number (formatting characters in Sakari's answer ignored)."""
        if not _E164.fullmatch(number):
            raise ValueError("find_by_mobile needs an E.164 number (+ and 7 to 15 digits)")
        async for contact in self.list_contacts(mobile=number):
            if contact.mobile is not None and _digits(contact.mobile.number) == number[1:]:
                return contact
        return None

    async def upload_csv(
        self, contacts: Sequence[CsvContact], merge_strategy: MergeStrategy = "append"
    ) -> BulkUploadResult:
        """Send many contacts in one CSV request (the bulk import path of `POST /contacts`).

        Each contact may be a `ContactIn`, an `EncodedContact` or a body already parsed into a
        mapping (see `sakari_client.bulk`). Contacts a CSV cannot carry raise
        `CsvIncompatibleError` before anything is sent: route them with `csv_compatible` first.
        Rows Sakari refuses one by one come back in `errors`; a 400 for the whole file raises
        `ContactRejectedError`. A retry after a dropped connection re-imports the same rows: Sakari
        merges them by mobile, so nothing is duplicated, but the counts then say updated, not
        inserted. Check `rows_matchable` on the answer before matching it row by row.
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

    async def _call(self, method: str, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        return await self._session.call(method, self._contacts_path + path, parse, **kwargs)


class _AnswerCookies(httpx.Cookies):
    """A cookie jar that reads an answer only when it sets a cookie. httpx hands every answer to
    urllib's cookie machinery, which costs about 45 µs an answer even with nothing to read (as much
    as the rest of the client's own work on a create); Sakari's API sets no cookies."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class _HttpClient(httpx.AsyncClient):
    """`httpx.AsyncClient` keeping its cookies in an `_AnswerCookies` jar."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._answer_cookies = _AnswerCookies(kwargs.get("cookies"))

    @property
    def cookies(self) -> httpx.Cookies:
        return self._answer_cookies

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes) -> None:
        self._answer_cookies = _AnswerCookies(cookies)


def _segment(contact_id: str) -> str:
    return "/" + quote(contact_id, safe="")


def _body(contact: ContactIn | EncodedContact) -> dict[str, Any]:
    """The request arguments that carry a contact: JSON from a model, or the given bytes as they are."""
    if isinstance(contact, EncodedContact):
        return {"content": contact.body, "headers": {"Content-Type": "application/json"}}
    return {"json": contact.to_body()}


def _digits(number: str | None) -> str:
    return "".join(c for c in number or "" if c.isdigit())

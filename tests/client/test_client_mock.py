"""What only a hand-made server can show: malformed bodies, odd Retry-After values, the request shape.

The emulator covers everything else; these use `httpx.MockTransport`.
"""

from __future__ import annotations

import time

import httpx
import pytest
import stamina

from sakari_client import (
    ContactIn,
    EncodedContact,
    MalformedResponseError,
    MobileIn,
    RateLimitedError,
    SakariClient,
    TransientError,
)
from tests.client.mocks import CONTACT, api, client_for, ok


def throttled(retry_after: str | None) -> httpx.Response:
    """A 429, with `Retry-After` when given."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        429, json={"success": False, "error": {"code": "R", "message": "slow"}}, headers=headers
    )


BODY = ContactIn(mobile=MobileIn(number="+14155550123", country="US"), firstName="Ada")


async def test_malformed_json_on_success_is_raised_not_retried() -> None:
    """A 2xx HTML page is `MalformedResponseError` after one request: retrying would fetch it again."""
    seen: list[httpx.Request] = []
    garbage = httpx.Response(201, content=b"<html>maintenance</html>", headers={"Content-Type": "text/html"})
    async with client_for(api([garbage], seen)) as client:
        with pytest.raises(MalformedResponseError, match="text/html"):
            await client.create_contact(BODY)
    assert len(seen) == 1


async def test_json_of_the_wrong_shape_names_fields_but_not_values() -> None:
    """A wrongly typed answer names the fields at fault but never quotes their values (a number)."""
    wrong = httpx.Response(
        201, json={"success": True, "data": [{"id": 5, "mobile": {"number": 14155550123}}]}
    )
    async with client_for(api([wrong])) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.create_contact(BODY)
    assert "4155550123" not in str(caught.value)
    assert "id" in caught.value.message


async def test_garbage_on_5xx_is_transient_and_retried() -> None:
    """A 502 with an HTML body is transient: retried once, then the create succeeds."""
    seen: list[httpx.Request] = []
    answers = [httpx.Response(502, content=b"<html>Bad Gateway</html>"), ok()]
    with stamina.set_testing(True, attempts=3):
        async with client_for(api(answers, seen)) as client:
            contact = await client.create_contact(BODY)
            assert client.stats.retries == 1
    assert contact.id == "c" * 24
    assert len(seen) == 2


@pytest.mark.parametrize("header", ["soon", "-1", "nan", None])
async def test_unreadable_or_missing_retry_after_falls_back_to_exponential_backoff(
    header: str | None,
) -> None:
    """A `Retry-After` that says nothing usable leaves the wait to stamina's back-off."""
    async with client_for(api([throttled(header), ok()]), retry_attempts=3) as client:
        started = time.monotonic()
        await client.create_contact(BODY)
        waited = time.monotonic() - started
        assert client.stats.rate_limited == 1
    # stamina's first back-off: 0.2 s plus up to 0.5 s jitter (typically 0.45 s; 3x the most, 2.1 s)
    assert 0.15 <= waited <= 2.5


async def test_retry_after_as_http_date_is_honoured() -> None:
    """`Retry-After` as an HTTP date two seconds ahead makes the retry wait about that long."""
    from email.utils import formatdate

    async with client_for(api([throttled(formatdate(time.time() + 2, usegmt=True)), ok()])) as client:
        started = time.monotonic()
        await client.create_contact(BODY)
    assert 0.9 <= time.monotonic() - started <= 6.0  # whole-second dates: 1 to 2 s; 3x is 6


async def test_retry_after_longer_than_the_retry_budget_gives_up_at_once() -> None:
    """A pause longer than the retry budget fails now, with `retry_after`, instead of sleeping first."""
    seen: list[httpx.Request] = []
    async with client_for(api([throttled("3600"), ok()], seen), retry_timeout=30.0) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as caught:
            await client.create_contact(BODY)
    assert caught.value.retry_after == 3600.0
    assert time.monotonic() - started < 5.0  # milliseconds, typically: no sleep, not even a back-off
    assert len(seen) == 1


async def test_attempts_are_bounded() -> None:
    """Endless 503s stop after the configured number of attempts."""
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503) for _ in range(10)]
    with stamina.set_testing(True, attempts=4):
        async with client_for(api(answers, seen)) as client:
            with pytest.raises(TransientError):
                await client.get_contact("x")
    assert len(seen) == 4


async def test_create_sends_the_body_merge_strategy_and_bearer_token() -> None:
    """A create is a POST of compact JSON with `mergeStrategy` in the query and the bearer token."""
    seen: list[httpx.Request] = []
    async with client_for(api([ok()], seen)) as client:
        await client.create_contact(BODY, merge_strategy="core")
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/v1/accounts/acct/contacts"
    assert request.url.params["mergeStrategy"] == "core"
    assert request.headers["Authorization"] == "Bearer opaque-token"
    assert request.read() == b'{"mobile":{"number":"+14155550123","country":"US"},"firstName":"Ada"}'


async def test_ids_are_escaped_into_one_path_segment() -> None:
    """A contact id cannot climb out of the contacts path: it is escaped into one segment."""
    seen: list[httpx.Request] = []
    async with client_for(api([httpx.Response(200, json={"success": True})], seen)) as client:
        await client.delete_contact("../../oauth2/token")
    assert seen[0].url.raw_path == b"/v1/accounts/acct/contacts/..%2F..%2Foauth2%2Ftoken"


async def test_csv_upload_sends_text_csv() -> None:
    """A CSV upload sends `text/csv` with the import header and one row per contact."""
    seen: list[httpx.Request] = []
    result = {
        "success": True,
        "data": {
            "submitted": 1,
            "inserted": 1,
            "updated": 0,
            "success": 1,
            "contacts": [CONTACT],
            "errors": [],
        },
    }
    async with client_for(api([ok(result)], seen)) as client:
        answer = await client.upload_csv([BODY.model_copy(update={"attributes": {"tier": "gold"}})])
    assert answer.inserted == 1
    assert seen[0].headers["Content-Type"].startswith("text/csv")
    assert seen[0].read() == b"country,firstName,lastName,email,mobile,tier\nUS,Ada,,,+14155550123,gold\n"


async def test_listing_stops_on_an_empty_page_even_if_has_next_lies() -> None:
    """`hasNext: true` on an empty page ends the listing rather than looping."""
    pages = [
        httpx.Response(200, json={"success": True, "pagination": {"hasNext": True}, "data": [CONTACT]}),
        httpx.Response(200, json={"success": True, "pagination": {"hasNext": True}, "data": []}),
    ]
    async with client_for(api(pages)) as client:
        assert len([c async for c in client.list_contacts()]) == 1


def test_plain_http_to_a_remote_host_is_refused() -> None:
    """Credentials never go in cleartext to another machine by default."""
    with pytest.raises(ValueError, match=r"refusing plain http:// to api\.sakari\.io"):
        SakariClient("http://api.sakari.io", "acct", "id", "secret")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    """Plain http:// is fine for this machine (the emulator)."""
    SakariClient(url, "acct", "id", "secret")


def test_plain_http_to_a_remote_host_is_allowed_when_asked() -> None:
    """`allow_insecure_http=True` is the explicit opt-in for a remote plain-http server."""
    SakariClient("http://sakari.internal", "acct", "id", "secret", allow_insecure_http=True)


@pytest.mark.parametrize("url", ["ftp://sakari.test", "sakari.test", "https://", "https://api.sakari.io/v1/"])
def test_base_url_must_be_http_with_a_host(url: str) -> None:
    """Other schemes, no host, or a base URL ending in /v1 are refused up front."""
    with pytest.raises(ValueError, match="base_url"):
        SakariClient(url, "acct", "id", "secret")


def test_client_repr_holds_no_credentials() -> None:
    """Neither the client nor its session shows the client secret in a repr."""
    client = SakariClient("https://sakari.test", "acct", "client-id-1", "s3cr3t-value")
    session = vars(client)["_session"]
    assert "s3cr3t" not in repr(client)
    assert "s3cr3t" not in repr(session)


async def test_encoded_contact_goes_on_the_wire_byte_for_byte() -> None:
    """An `EncodedContact` is sent exactly as given (spacing, key order, UTF-8), as JSON."""
    seen: list[httpx.Request] = []
    body = '{ "mobile" : {"number":"+14155550123"},  "firstName":"Zoë" }'.encode()
    async with client_for(api([ok()], seen)) as client:
        await client.create_contact(EncodedContact(body), merge_strategy="remove")
    (request,) = seen
    assert request.read() == body
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(body))
    assert request.url.params["mergeStrategy"] == "remove"


async def test_transport_failure_names_the_url_it_tried_without_the_query() -> None:
    """A connection failure says which server and path did not answer, never the query (a number)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed", request=request)

    with stamina.set_testing(True, attempts=2):
        async with client_for(refuse) as client:
            with pytest.raises(TransientError) as caught:
                [c async for c in client.list_contacts(mobile="+14155550123")]
    assert caught.value.url == "https://sakari.test:443/oauth2/token"
    assert str(caught.value) == (
        "no response: ConnectError: All connection attempts failed (https://sakari.test:443/oauth2/token)"
    )

    def refuse_api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t"})
        raise httpx.ReadTimeout("timed out", request=request)

    with stamina.set_testing(True, attempts=1):
        async with client_for(refuse_api) as client:
            with pytest.raises(TransientError) as caught:
                [c async for c in client.list_contacts(mobile="+14155550123")]
    assert caught.value.url == "https://sakari.test:443/v1/accounts/acct/contacts"
    assert "0123" not in str(caught.value)
    assert "mobile" not in str(caught.value)


class RecordingLimit:
    """A shared limit that counts what the client asks of it."""

    def __init__(self) -> None:
        self.acquired = 0
        self.closed = 0

    async def acquire(self) -> None:
        self.acquired += 1

    async def aclose(self) -> None:
        self.closed += 1


async def test_closing_the_client_closes_its_shared_limit() -> None:
    """The client owns the shared limit it is given: one acquire per request, one aclose at the end."""
    limit = RecordingLimit()
    async with client_for(api([ok()]), shared_limit=limit) as client:
        await client.create_contact(BODY)
        assert (limit.acquired, limit.closed) == (2, 0)  # the token request and the create
    assert limit.closed == 1


async def test_the_shared_limit_is_closed_even_if_closing_the_connections_fails() -> None:
    """A failure closing the connection pool still closes the shared limit (no Redis leak)."""

    class FailingClose(httpx.MockTransport):
        async def aclose(self) -> None:
            raise RuntimeError("close failed")

    limit = RecordingLimit()
    client = SakariClient(
        "https://sakari.test", "a", "i", "s", transport=FailingClose(api([])), shared_limit=limit
    )
    with pytest.raises(RuntimeError, match="close failed"):
        await client.aclose()
    assert limit.closed == 1

"""What only a hand-made server can show: malformed bodies, odd Retry-After values, the request shape.

The emulator covers everything else; these use `httpx.MockTransport`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stamina

from sakari_client import (
    ContactIn,
    MalformedResponseError,
    MobileIn,
    RateLimitedError,
    SakariClient,
    TransientError,
)

TOKEN = {"access_token": "opaque-token", "token_type": "Bearer"}
CONTACT = {"id": "c" * 24, "mobile": {"number": "+14155550123"}}
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **kwargs: Any) -> SakariClient:
    return SakariClient(
        "https://sakari.test",
        "acct",
        "id",
        "secret",
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


def api(answers: list[httpx.Response], seen: list[httpx.Request] | None = None) -> Handler:
    """A server that grants tokens and plays `answers` in order to API calls."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=TOKEN)
        if seen is not None:
            seen.append(request)
        return answers.pop(0)

    return handler


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(201, json=body or {"success": True, "data": [CONTACT]})


def throttled(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        429, json={"success": False, "error": {"code": "R", "message": "slow"}}, headers=headers
    )


BODY = ContactIn(mobile=MobileIn(number="+14155550123", country="US"), firstName="Ada")


async def test_malformed_json_on_success_is_raised_not_retried() -> None:
    seen: list[httpx.Request] = []
    garbage = httpx.Response(201, content=b"<html>maintenance</html>", headers={"Content-Type": "text/html"})
    async with client_for(api([garbage], seen)) as client:
        with pytest.raises(MalformedResponseError, match="text/html"):
            await client.create_contact(BODY)
    assert len(seen) == 1


async def test_json_of_the_wrong_shape_names_fields_but_not_values() -> None:
    wrong = httpx.Response(
        201, json={"success": True, "data": [{"id": 5, "mobile": {"number": 14155550123}}]}
    )
    async with client_for(api([wrong])) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.create_contact(BODY)
    assert "4155550123" not in str(caught.value)
    assert "id" in caught.value.message


async def test_garbage_on_5xx_is_transient_and_retried() -> None:
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
    async with client_for(api([throttled(header), ok()]), retry_attempts=3) as client:
        started = time.monotonic()
        await client.create_contact(BODY)
        waited = time.monotonic() - started
        assert client.stats.rate_limited == 1
    assert 0.15 <= waited <= 1.5  # stamina's first back-off: 0.2 s plus up to 0.5 s jitter


async def test_retry_after_as_http_date_is_honoured() -> None:
    from email.utils import formatdate

    async with client_for(api([throttled(formatdate(time.time() + 2, usegmt=True)), ok()])) as client:
        started = time.monotonic()
        await client.create_contact(BODY)
    assert 0.9 <= time.monotonic() - started <= 2.5  # whole-second dates: between 1 and 2 s


async def test_retry_after_longer_than_the_retry_budget_gives_up_at_once() -> None:
    seen: list[httpx.Request] = []
    async with client_for(api([throttled("3600"), ok()], seen), retry_timeout=30.0) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as caught:
            await client.create_contact(BODY)
    assert caught.value.retry_after == 3600.0
    assert time.monotonic() - started < 1.0
    assert len(seen) == 1


async def test_attempts_are_bounded() -> None:
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503) for _ in range(10)]
    with stamina.set_testing(True, attempts=4):
        async with client_for(api(answers, seen)) as client:
            with pytest.raises(TransientError):
                await client.get_contact("x")
    assert len(seen) == 4


async def test_create_sends_the_body_merge_strategy_and_bearer_token() -> None:
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
    seen: list[httpx.Request] = []
    async with client_for(api([httpx.Response(200, json={"success": True})], seen)) as client:
        await client.delete_contact("../../oauth2/token")
    assert seen[0].url.raw_path == b"/v1/accounts/acct/contacts/..%2F..%2Foauth2%2Ftoken"


async def test_csv_upload_sends_text_csv() -> None:
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
    pages = [
        httpx.Response(200, json={"success": True, "pagination": {"hasNext": True}, "data": [CONTACT]}),
        httpx.Response(200, json={"success": True, "pagination": {"hasNext": True}, "data": []}),
    ]
    async with client_for(api(pages)) as client:
        assert len([c async for c in client.list_contacts()]) == 1


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ValueError, match=r"refusing plain http:// to api\.sakari\.io"):
        SakariClient("http://api.sakari.io", "acct", "id", "secret")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    SakariClient(url, "acct", "id", "secret")


def test_plain_http_to_a_remote_host_is_allowed_when_asked() -> None:
    SakariClient("http://sakari.internal", "acct", "id", "secret", allow_insecure_http=True)


@pytest.mark.parametrize("url", ["ftp://sakari.test", "sakari.test", "https://", "https://api.sakari.io/v1/"])
def test_base_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        SakariClient(url, "acct", "id", "secret")


def test_client_repr_holds_no_credentials() -> None:
    client = SakariClient("https://sakari.test", "acct", "client-id-1", "s3cr3t-value")
    assert "s3cr3t" not in repr(client)
    assert "s3cr3t" not in repr(vars(client).get("_tokens"))

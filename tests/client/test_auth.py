"""Tokens: one fetch shared by every call, renewed before expiry, renewed once on a 401."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest

from sakari_client import AuthenticationError, MalformedResponseError, NotFoundError, SakariClient
from sakari_client.auth import TokenCache, token_lifetime
from tests.support.emulator import Emulator

ZERO_ID = "0" * 24


def make_jwt(**claims: float) -> str:
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


async def test_one_token_serves_many_calls(emulator: Emulator) -> None:
    """Twenty calls in a row share the one token fetched for the first."""
    async with emulator.client() as client:
        for _ in range(20):
            assert [c async for c in client.list_contacts()] == []
        assert client.stats.token_fetches == 1
    assert await emulator.token_requests() == 1


async def test_concurrent_first_calls_share_one_token_fetch(emulator: Emulator) -> None:
    """Twenty calls starting at once wait for one token fetch, not twenty."""
    async with emulator.client() as client:
        results = await asyncio.gather(
            *(client.get_contact(ZERO_ID) for _ in range(20)), return_exceptions=True
        )
        assert client.stats.token_fetches == 1
    assert all(isinstance(r, NotFoundError) for r in results)
    assert await emulator.token_requests() == 1


async def test_token_is_renewed_before_it_expires_mid_run(emulator: Emulator) -> None:
    """With a 1 s token the client renews on its own, before each expiry, not after a refusal."""
    await emulator.set_faults(token_ttl=1.0)
    async with emulator.client() as client:
        deadline = time.monotonic() + 3.6
        while time.monotonic() < deadline:
            [c async for c in client.list_contacts()]
            await asyncio.sleep(0.02)
        # Renewing only on 401 would be refused at each of the three expiries. The renewal margin of a
        # 1 s token is 0.1 s, which a stalled, loaded machine can outlast once.
        assert client.stats.by_status[401] <= 1
    assert 4 <= await emulator.token_requests() <= 6


async def test_token_expiring_in_flight_is_renewed_once_and_the_call_repeated(emulator: Emulator) -> None:
    """Latency makes requests arrive after their token expired: each gets 401, one refresh serves all."""
    await emulator.set_faults(token_ttl=1.0, latency=0.3, latency_jitter=0.1)
    async with emulator.client() as client:

        async def worker(n: int) -> None:
            await asyncio.sleep(n * 0.04)  # spread the sends over the token's last moments
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                [c async for c in client.list_contacts()]

        await asyncio.gather(*(worker(n) for n in range(8)))
        refused = client.stats.by_status[401]
        assert refused >= 1
        assert client.stats.retries == 0  # a refresh is not a retry
    # ~3 planned renewals, plus one per expiry that caught requests in flight: far fewer than the 401s
    assert await emulator.token_requests() <= 6
    assert await emulator.count("GET", "/v1/accounts/{accountId}/contacts", 401) == refused


async def test_second_401_after_a_refresh_is_an_authentication_error() -> None:
    """MockTransport: a server that refuses every token (the emulator cannot be made to)."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/oauth2/token":
            return httpx.Response(
                200, json={"access_token": make_jwt(exp=time.time() + 3600, iat=time.time())}
            )
        return httpx.Response(401, json={"success": False, "error": {"code": "X", "message": "revoked"}})

    async with SakariClient(
        "https://sakari.test", "acct", "id", "secret", transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(AuthenticationError, match="revoked"):
            await client.get_contact(ZERO_ID)
    assert calls == ["/oauth2/token", f"/v1/accounts/acct/contacts/{ZERO_ID}"] * 2


async def test_token_request_sends_client_credentials_as_json() -> None:
    """The token request is JSON client credentials, and its token is reused."""
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            seen.append(json.loads(request.content))
            return httpx.Response(200, json={"access_token": "opaque-token", "token_type": "Bearer"})
        assert request.headers["Authorization"] == "Bearer opaque-token"
        return httpx.Response(200, json={"success": True, "data": {"id": ZERO_ID}})

    async with SakariClient(
        "https://sakari.test", "acct", "id", "secret", transport=httpx.MockTransport(handler)
    ) as client:
        await client.get_contact(ZERO_ID)
        await client.get_contact(ZERO_ID)
    assert seen == [{"grant_type": "client_credentials", "client_id": "id", "client_secret": "secret"}]


async def test_concurrent_refreshes_after_401_fetch_once() -> None:
    """Ten callers refreshing the same rejected token cause one fetch (no stampede)."""
    fetches = 0

    async def fetch() -> object:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.01)
        return {"access_token": f"token-{fetches}"}

    cache = TokenCache(fetch)
    stale = await cache.token()
    fresh = await asyncio.gather(*(cache.refresh(rejected=stale) for _ in range(10)))
    assert set(fresh) == {"token-2"}
    assert fetches == 2


async def test_token_answer_without_access_token_is_malformed() -> None:
    """A token answer without `access_token` is a malformed answer, not a crash."""

    async def fetch() -> object:
        return {"token_type": "Bearer"}

    with pytest.raises(MalformedResponseError, match="no access_token"):
        await TokenCache(fetch).token()


def test_token_lifetime_reads_exp_from_the_local_clock_when_plausible() -> None:
    """`exp - now` is the lifetime when the clocks agree."""
    now = 1_700_000_000.5
    assert token_lifetime(make_jwt(iat=int(now), exp=now + 100), now=now) == pytest.approx(100)


def test_token_lifetime_falls_back_to_the_server_span_when_clocks_disagree() -> None:
    """A local clock an hour ahead falls back to `exp - iat`, not to every token expired."""
    now = 1_700_000_000.0
    skewed_local = now + 3600  # local clock an hour ahead: every token would look expired
    assert token_lifetime(make_jwt(iat=now, exp=now + 100), now=skewed_local) == pytest.approx(100)


def test_token_lifetime_is_unknown_for_opaque_tokens_or_missing_exp() -> None:
    """An opaque token, or a JWT without `exp`, has no known lifetime (kept until a 401)."""
    assert token_lifetime("opaque") is None
    assert token_lifetime(make_jwt(iat=1.0)) is None

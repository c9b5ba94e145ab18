"""OAuth2 client-credentials tokens: fetched once, shared by every request, renewed before expiry.

Sakari documents no `expires_in`; its token is a JWT whose `exp` claim says when it stops working
(Sakari's own SDK reads it the same way). The claim is decoded without verifying the signature: the
client only needs a hint of when to renew, and the server remains the judge. The time left is
`exp - now`, or `exp - iat` (both server clock) when the local wall clock disagrees with the
server's, and is counted down on the local monotonic clock, so a skewed clock cannot make every
token look expired. A token is renewed `min(60 s, 10 % of its lifetime)`
before it ends; a token with no readable `exp` is kept until the server answers 401.

Concurrent callers share one fetch: whoever finds the token missing or stale fetches it under an
`asyncio.Lock`, and the others wait for that result instead of fetching their own. (The client
counts the fetches it sends in `ClientStats.token_fetches`.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

import jwt

from sakari_client.errors import MalformedResponseError

logger = logging.getLogger(__name__)

TokenFetcher = Callable[[], Awaitable[Any]]
"""Performs the token request and returns the parsed JSON answer."""

_MAX_MARGIN = 60.0
_MARGIN_SHARE = 0.1


class TokenCache:
    """Holds the current access token and fetches a new one when needed (see module docstring)."""

    def __init__(self, fetch: TokenFetcher, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = -float("inf")

    def __repr__(self) -> str:
        return f"<TokenCache {'empty' if self._token is None else 'holding a token'}>"

    async def token(self) -> str:
        """A token valid for a while yet: the cached one, or a fresh one."""
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        async with self._lock:
            # Another caller may have fetched while this one waited for the lock.
            if self._token is None or self._clock() >= self._renew_at:
                await self._renew()
            assert self._token is not None  # _renew sets it or raises
            return self._token

    async def refresh(self, rejected: str) -> str:
        """After a 401 for `rejected`: a new token, fetched only if nobody has replaced it yet."""
        async with self._lock:
            if self._token is None or self._token == rejected:
                await self._renew()
            assert self._token is not None
            return self._token

    async def _renew(self) -> None:
        body = await self._fetch()
        fetched_at = self._clock()  # the lifetime below is counted from the answer, not the ask
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponseError(None, None, "token answer has no access_token")
        lifetime = token_lifetime(token)
        self._token = token
        if lifetime is None:
            self._renew_at = float("inf")
            logger.debug("fetched an access token with no readable expiry")
        else:
            self._renew_at = fetched_at + lifetime - min(_MAX_MARGIN, _MARGIN_SHARE * lifetime)
            logger.debug("fetched an access token valid for %.1f s", lifetime)


def token_lifetime(token: str, now: float | None = None) -> float | None:
    """Seconds a JWT has left to live, or None if it does not say.

    `exp - now` is exact when the local wall clock agrees with the server's; `exp - iat` is the
    server's own span, but `iat` is usually truncated to the second. The first is used when it is
    plausible (positive and no longer than the second), the second when the clocks disagree.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp):
        return None
    by_local_clock = float(exp) - (time.time() if now is None else now)
    by_server_clock = float(exp) - float(iat) if _is_number(iat) else None
    if by_server_clock is None or 0 < by_local_clock <= by_server_clock:
        return by_local_clock if by_local_clock > 0 else None
    return by_server_clock if by_server_clock > 0 else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)

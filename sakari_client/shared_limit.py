"""One Sakari rate limit shared by every client, process and machine: a token bucket in Redis.

The bucket lives in one Redis hash (tokens, last refill time) and is only touched by a Lua script, so
refill-and-take is atomic whichever client calls, and the clock is Redis's own (`TIME`), not the
callers'. A client takes tokens in blocks (`block`, about a tenth of a second's worth) and hands them
out locally, so Redis sees a few calls a second per client rather than one per request. The bucket
holds at most `capacity` (two blocks) tokens, so over any window of t seconds all clients together send
at most `rate * t + capacity` requests. The client handed a limit owns it: `SakariClient.aclose` closes
its Redis connections. Why not Prefect's `rate_limit()`: per-request calls from competing
threads fall below 1/s against a limit of 5/s, as its server-side back-off grows with denied slots.
"""

from __future__ import annotations

import asyncio
import math

from redis.asyncio import Redis

_TAKE = """
local rate, capacity, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = capacity, now end
tokens = math.min(capacity, tokens + (now - at) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
if granted > 0 then return {granted, '0'} end
return {0, tostring((1 - tokens) / rate)}
"""


class SharedRateLimit:
    """`await limit.acquire()` before each request; all holders of the same key share `rate` req/s."""

    def __init__(self, redis: Redis, key: str, rate: float, *, block: int | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._redis = redis
        self._key = f"sakari-sync:rate:{key}"
        self.rate = rate
        self.block = block or max(1, math.ceil(rate / 10))
        self.capacity = 2 * self.block  # room for one block while another client's is in use
        self._local = 0
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def from_url(cls, url: str, key: str, rate: float, *, block: int | None = None) -> SharedRateLimit:
        """Connect to Redis by URL (e.g. redis://127.0.0.1:6379/0)."""
        return cls(Redis.from_url(url), key, rate, block=block)

    async def acquire(self) -> None:
        """Wait until this client holds one request's worth of the shared rate."""
        async with self._lock:
            while self._local == 0:
                granted, wait = await self._take()
                if granted:
                    self._local = granted
                else:
                    await asyncio.sleep(max(wait, 0.001))
            self._local -= 1

    async def _take(self) -> tuple[int, float]:
        args = (str(self.rate), str(self.capacity), str(self.block))
        reply = await self._redis.eval(_TAKE, 1, self._key, *args)
        return int(reply[0]), float(reply[1])

    async def aclose(self) -> None:
        """Close the Redis connections. `SakariClient.aclose` calls this for the limit it was given;
        closing twice is harmless."""
        if not self._closed:
            self._closed = True
            await self._redis.aclose()

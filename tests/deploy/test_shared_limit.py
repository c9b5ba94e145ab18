"""One Sakari rate limit in Redis, shared by two concurrent clients (two shards), against the emulator."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid

import httpx
import pytest
import redis

from sakari_client import SakariClient
from sakari_client.models import ContactIn, MobileIn
from sakari_client.shared_limit import SharedRateLimit
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.emulator import Emulator

REDIS_URL = "redis://127.0.0.1:6379/0"
RATE = 20.0
SECONDS = 6.0

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"Redis unreachable: {exc}")
    return REDIS_URL


async def _shard(url: str, redis_url: str, key: str, offset: int, stop: float) -> None:
    limit = SharedRateLimit.from_url(redis_url, key, RATE)
    client = SakariClient(url, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, shared_limit=limit)
    async with client:
        await asyncio.gather(*(_send_until(client, offset + 1000 * lane, stop) for lane in range(4)))
    await limit.aclose()


async def _send_until(client: SakariClient, offset: int, stop: float) -> None:
    n = 0
    while time.monotonic() < stop:
        number = f"+1415555{offset + n:04d}"
        await client.create_contact(ContactIn(mobile=MobileIn(number=number, country="US")))
        n += 1


def test_two_shards_share_one_rate(emulator: Emulator, redis_url: str) -> None:
    """Two clients sharing one Redis bucket of R req/s together send at most R/s and at least 0.9 R/s."""
    key = uuid.uuid4().hex
    stop = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=asyncio.run, args=(_shard(emulator.url, redis_url, key, i * 5000, stop),))
        for i in range(2)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    writes = sum(r["count"] for r in stats["requests"] if r["method"] == "POST" and "contacts" in r["route"])
    assert writes <= RATE * elapsed + 2 * RATE / 10  # the bucket's burst is two blocks
    assert writes >= 0.9 * RATE * SECONDS

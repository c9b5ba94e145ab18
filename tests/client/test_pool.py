"""SplitPoolTransport: connections spread over small pools, each request to the least busy one."""

from __future__ import annotations

import asyncio

import httpx

from sakari_client.pool import SplitPoolTransport
from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer


def test_connections_are_split_into_pools_of_at_most_four() -> None:
    assert SplitPoolTransport(18).pools == 5
    assert SplitPoolTransport(4).pools == 1
    assert SplitPoolTransport(1).pools == 1


async def test_concurrent_requests_spread_evenly_and_every_pool_is_released() -> None:
    """16 requests at once over 4 pools: at most 4 each while in flight, none once answered."""
    transport = SplitPoolTransport(16)
    seen: list[tuple[int, ...]] = []
    with EmulatorServer(EmulatorConfig(port=0, latency=0.05)) as server:
        async with httpx.AsyncClient(base_url=server.url, transport=transport) as client:

            async def one() -> int:
                request = client.build_request("POST", "/oauth2/token", json={"grant_type": "nope"})
                response = await client.send(request, stream=True)
                seen.append(transport.in_flight)
                await response.aread()
                await response.aclose()
                return response.status_code

            statuses = await asyncio.gather(*(one() for _ in range(16)))
    assert set(statuses) == {400}
    assert max(max(counts) for counts in seen) <= 4  # no pool queues while another has room
    assert transport.in_flight == (0, 0, 0, 0)

"""Tokens that expire while requests wait their turn: the soak's failure, reproduced in seconds."""

from __future__ import annotations

import asyncio

from sakari_client.models import ContactIn, MobileIn
from tests.reliability.support import set_faults
from tests.support.emulator import Emulator


async def test_a_request_queued_longer_than_a_token_lives_leaves_with_a_fresh_token(
    emulator: Emulator,
) -> None:
    """40 creates through 2 slots at 0.1 s each: the last wait 2 s for their turn, twice a token's
    life. Each must still succeed: the token is taken when the request leaves, not when it queues."""
    set_faults(emulator, token_ttl=1.0, latency=0.1)
    async with emulator.client(max_in_flight=2) as client:
        sends = (
            client.create_contact(ContactIn(mobile=MobileIn(number=f"+1415555{i:04d}"))) for i in range(40)
        )
        results = await asyncio.gather(*sends, return_exceptions=True)
    assert [repr(r) for r in results if isinstance(r, BaseException)] == []

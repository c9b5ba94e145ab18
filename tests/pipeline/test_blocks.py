"""The Sakari Credentials block: in the server's catalogue, secret kept secret, builds a working client."""

from __future__ import annotations

import asyncio

import pytest

from sakari_sync.app.runner import register_blocks, save_sakari_block
from sakari_sync.blocks.sakari import SakariCredentials
from sakari_sync.errors import ConfigError
from tests.support.credentials import DEMO_CLIENT_SECRET, DEMO_CREDENTIALS

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _catalogue_slugs() -> set[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return {t.slug for t in await client.read_block_types()}


def test_the_block_type_is_registered_in_the_catalogue() -> None:
    """`register_blocks` puts the Sakari Credentials block type in the Prefect server's catalogue."""
    register_blocks()
    assert "sakari-credentials" in asyncio.run(_catalogue_slugs())


def test_a_saved_block_keeps_its_secret_masked_and_builds_a_client(emulator) -> None:
    """A saved block loads back with its secret masked in repr, and its client reaches the emulator."""
    save_sakari_block(
        "sakari-roundtrip",
        base_url=emulator.url,
        **DEMO_CREDENTIALS,
    )
    block = SakariCredentials.load("sakari-roundtrip")
    assert isinstance(block, SakariCredentials)
    assert DEMO_CLIENT_SECRET not in repr(block)
    assert block.client_secret.get_secret_value() == DEMO_CLIENT_SECRET

    async def count() -> int:
        async with block.get_client() as client:
            n: int = await client.count_contacts()
        return n

    assert asyncio.run(count()) == 0


def test_saving_a_block_without_a_secret_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving a block with no secret (argument or SAKARI_CLIENT_SECRET) fails naming both ways to give it."""
    monkeypatch.delenv("SAKARI_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="--client-secret or SAKARI_CLIENT_SECRET"):
        save_sakari_block(
            "x", base_url="https://api.sakari.io", account_id="a", client_id="c", client_secret=None
        )

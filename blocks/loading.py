"""Loading saved blocks by name, with one line naming the block and the server when that fails."""

from __future__ import annotations

from typing import TypeVar

import httpx
from prefect.blocks.core import Block
from prefect.settings import PREFECT_API_URL

from sakari_sync.errors import ConfigError, PrefectError

B = TypeVar("B", bound=Block)


def server_name() -> str:
    """The Prefect server blocks are read from, as the user would name it."""
    url = PREFECT_API_URL.value()
    return (
        f"the Prefect server at {url}" if url else "a temporary Prefect server (PREFECT_API_URL is not set)"
    )


async def load_block(kind: type[B], name: str, setting: str, fix: str) -> B:
    """Load the block `name` of type `kind`; ConfigError naming `setting`, the server and `fix` if it is
    missing, PrefectError if the server does not answer."""
    try:
        block = await kind.aload(name)
    except ValueError as exc:
        if "Unable to find block document" not in str(exc):
            raise
        raise ConfigError(
            f"{setting} names block {name!r}, which {server_name()} does not have; {fix}"
        ) from None
    except httpx.TransportError as exc:
        raise PrefectError(
            f"{server_name()} does not answer ({type(exc).__name__}); start it, or set PREFECT_API_URL to "
            "the server that holds the blocks"
        ) from None
    return block

"""The Sakari credentials block: what the UI's block catalogue shows and what the flows load."""

from __future__ import annotations

from typing import Any

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, SecretStr

from sakari_client import SakariClient
from sakari_sync.blocks.loading import load_block

SAKARI_API = "https://api.sakari.io"


class SakariCredentials(CredentialsBlock):
    """OAuth2 client credentials and account id for Sakari's REST API."""

    _block_type_name = "Sakari Credentials"
    _block_type_slug = "sakari-credentials"
    _description = "Client id, client secret and account id for Sakari's API (api.sakari.io)."
    _documentation_url = "https://developer.sakari.io/"  # type: ignore[assignment]
    _code_example = """
from sakari_sync.blocks.sakari import SakariCredentials

creds = SakariCredentials.load("sakari-prod")
async with creds.get_client() as client:
    ...
"""

    client_id: str = Field(description="OAuth2 client id from Sakari's API settings.")
    client_secret: SecretStr = Field(description="OAuth2 client secret.")
    account_id: str = Field(description="The Sakari account to write contacts to.")
    base_url: str = Field(SAKARI_API, description="API root, without /v1. Change it only for the emulator.")
    allow_insecure_http: bool = Field(
        False, description="Allow plain http:// to a non-loopback host (never for production)."
    )

    def get_client(self, *args: Any, **kwargs: Any) -> SakariClient:
        """Build a client; keyword arguments (rate_limit, max_in_flight, ...) go to `SakariClient`."""
        return SakariClient(
            self.base_url,
            self.account_id,
            self.client_id,
            self.client_secret.get_secret_value(),
            allow_insecure_http=self.allow_insecure_http,
            **kwargs,
        )


async def load_sakari_credentials(name: str) -> SakariCredentials:
    """The saved Sakari Credentials block `name`, or one line saying how to save it."""
    return await load_block(
        SakariCredentials,
        name,
        "sakari.block",
        f"save it with `sakari-sync blocks save --name {name}` (or in the Prefect UI)",
    )

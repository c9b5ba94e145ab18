"""The demo account and OAuth client every emulator serves by default: the one place tests name them.

They are the emulator's own defaults (`sakari_emulator.config`), so a test that logs in with them
logs in to any emulator started without other credentials. The hygiene test refuses these values
typed out anywhere else in tests/.
"""

from __future__ import annotations

from sakari_emulator.config import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

__all__ = ["DEMO_ACCOUNT_ID", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DEMO_CREDENTIALS"]

# As keyword arguments for `SakariClient`, `SakariCredentials` or `save_sakari_block`.
DEMO_CREDENTIALS = {
    "account_id": DEMO_ACCOUNT_ID,
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
}

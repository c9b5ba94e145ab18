"""Turning the errors a user can act on into one line that says what is wrong and what to do.

Errors are told apart by type, never by their text: the pipeline's `SyncError` tree
(`sakari_sync.errors`) and the client's `SakariError` family (`sakari_client.errors`). Anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from sakari_sync.app.logs import log_debug_trace
from sakari_sync.errors import AlreadyRunningError, SyncError

if TYPE_CHECKING:
    from sakari_client.errors import SakariError

__all__ = ["explain", "log_debug_trace"]


def explain(exc: BaseException) -> str | None:
    """One line for an error the user can act on, or None for a bug (which keeps its traceback)."""
    if isinstance(exc, AlreadyRunningError):
        return str(exc)  # names a run, a time and a host:pid, never a contact (redact would mask the time)
    if isinstance(exc, SyncError):
        return _redact(str(exc))
    # Only a process that imported the client can hold its errors (importing it costs half a second).
    client_errors = sys.modules.get("sakari_client.errors")
    if client_errors is not None and isinstance(exc, client_errors.SakariError):
        return _explain_sakari(exc)
    return None


def _redact(text: str) -> str:
    from sakari_client.redaction import redact

    return redact(text)


def _explain_sakari(exc: SakariError) -> str:
    from sakari_client.errors import AccountError, AuthenticationError

    code = f" {exc.code}" if exc.code else ""
    if isinstance(exc, AuthenticationError):
        return "Sakari refused the credentials (401): check the block's client id and client secret"
    if isinstance(exc, AccountError):
        return f"Sakari refused the account id ({exc.status}{code}): check the block's account id"
    if exc.status is None:
        return _redact(f"Sakari did not answer ({exc.message}): check the block's base_url and the network")
    return _redact(f"Sakari answered {exc.status}{code}: {exc.message}")

"""Turning the errors a user can fix into one line that says what is wrong and what to do."""

from __future__ import annotations

import logging
import os
import tempfile
import traceback
from pathlib import Path

from sakari_client.redaction import redact


def explain(exc: BaseException) -> str | None:
    """One line for an error the user can act on, or None for a bug (which keeps its traceback)."""
    from sakari_client.errors import AccountError, AuthenticationError, SakariError
    from sakari_sync.errors import AlreadyRunningError, SyncError

    if isinstance(exc, AlreadyRunningError):
        return str(exc)  # names a run, a time and a host:pid, never a contact (redact would mask the time)
    if isinstance(exc, SyncError):
        return redact(str(exc))
    if isinstance(exc, AuthenticationError):
        return "Sakari refused the credentials (401): check the block's client id and client secret"
    if isinstance(exc, AccountError):
        return "Sakari refused the account id (403 ACCT-008): check the block's account id"
    if isinstance(exc, SakariError):
        return redact(f"Sakari answered {exc.status} {exc.code or ''}: {exc.message}")
    if isinstance(exc, ValueError) and "Unable to find block document" in str(exc):
        return redact(f"{exc}; save it first (sakari-sync blocks save --help)")
    return None


def log_debug_trace(exc: BaseException) -> Path | None:
    """Keep the full trace where a developer can find it, out of the user's terminal."""
    path = Path(
        os.environ.get("SAKARI_SYNC_DEBUG_LOG", Path(tempfile.gettempdir()) / "sakari-sync-debug.log")
    )
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(redact("".join(traceback.format_exception(exc))) + "\n")
    except OSError:
        logging.getLogger("sakari_sync").debug("could not write the debug log", exc_info=True)
        return None
    return path

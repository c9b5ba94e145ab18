"""Sakari-shaped errors: `{"success": false, "error": {"code", "message"}}` with a standard HTTP status.

Codes starting `CONT-` or `ACCT-` are Sakari's own (documented); codes starting `EMU-` are the
emulator's, for cases Sakari's documentation does not name:

    SakariError (400 EMU-BAD-REQUEST)
    ├── InvalidMobileError       400 CONT-001  invalid or missing mobile number
    ├── UnknownListError         400 EMU-LIST-UNKNOWN
    ├── MobileTakenError         400 EMU-MOBILE-TAKEN (PUT onto another contact's mobile)
    ├── BlockedMobileChangeError 400 EMU-CONT-BLOCKED (PUT moving a blocked contact's mobile)
    ├── InvalidCredentialsError  401 EMU-AUTH-CREDENTIALS
    ├── InvalidTokenError        401 EMU-AUTH-TOKEN (missing, malformed or expired token)
    ├── AccountError             403 ACCT-008
    ├── NotFoundError            404 EMU-NOT-FOUND
    ├── RateLimitedError         429 EMU-RATE-LIMIT (+ Retry-After unless switched off)
    └── InjectedFaultError       500 EMU-FAULT-500 / 503 EMU-FAULT-503

Routes raise these; `handle_sakari_error` renders them. Starlette's own 404/405 (no such route or
method) are rendered the same way by `handle_http_exception`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

BLOCKED_ERROR: dict[str, str] = {
    "code": "CONT-010",
    "description": "Contact has requested no further communication",
}


class SakariError(Exception):
    """An API error with an HTTP status, a code and a message; the base answers 400."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "EMU-BAD-REQUEST"
    default_message: ClassVar[str] = "Invalid request"

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def error_code(self) -> str:
        return self.code


class InvalidMobileError(SakariError):
    code = "CONT-001"
    default_message = "Invalid mobile number"


class UnknownListError(SakariError):
    code = "EMU-LIST-UNKNOWN"
    default_message = "Unknown list id"


class MobileTakenError(SakariError):
    code = "EMU-MOBILE-TAKEN"
    default_message = "Another contact already has this mobile number"


class BlockedMobileChangeError(SakariError):
    code = "EMU-CONT-BLOCKED"
    default_message = "The mobile number of a blocked contact cannot be changed"


class InvalidCredentialsError(SakariError):
    status = 401
    code = "EMU-AUTH-CREDENTIALS"
    default_message = "Invalid client credentials"


class InvalidTokenError(SakariError):
    status = 401
    code = "EMU-AUTH-TOKEN"
    default_message = "Missing, malformed or expired access token"


class AccountError(SakariError):
    status = 403
    code = "ACCT-008"
    default_message = "Account ID is invalid"


class NotFoundError(SakariError):
    status = 404
    code = "EMU-NOT-FOUND"
    default_message = "Contact not found"


class RateLimitedError(SakariError):
    status = 429
    code = "EMU-RATE-LIMIT"
    default_message = "Rate limit exceeded"

    def __init__(self, retry_after: int | None) -> None:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        super().__init__(headers=headers)


class InjectedFaultError(SakariError):
    """A 500 or 503 injected by the emulator's fault settings."""

    def __init__(self, status: int) -> None:
        super().__init__("Injected fault (emulator)")
        self._status = status

    @property
    def status_code(self) -> int:
        return self._status

    @property
    def error_code(self) -> str:
        return f"EMU-FAULT-{self._status}"


def error_body(code: str, message: str) -> dict[str, Any]:
    """The envelope every error answer uses."""
    return {"success": False, "error": {"code": code, "message": message}}


async def handle_sakari_error(request: Request, exc: Exception) -> Response:
    """Render a `SakariError` raised by a route."""
    assert isinstance(exc, SakariError)
    return JSONResponse(error_body(exc.error_code, exc.message), exc.status_code, headers=exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Render Starlette's own 404 (no such route) and 405 (method not allowed) in Sakari's envelope."""
    assert isinstance(exc, HTTPException)
    code = {404: "EMU-ROUTE-NOT-FOUND", 405: "EMU-METHOD-NOT-ALLOWED"}.get(exc.status_code, "EMU-HTTP")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

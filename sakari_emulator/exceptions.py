"""Sakari-shaped errors: `{"success": false, "error": {"code", "message"}}` with a standard HTTP status.

Codes starting `CONT-` or `ACCT-` are Sakari's own (documented); codes starting `EMU-` are the
emulator's, for cases Sakari's documentation does not name. The names differ from `sakari_client`'s
on purpose (the client has its own `SakariError`, `RateLimitedError`, ...), so a test that imports
both never confuses the server's error with the client's:

    ApiError (400 EMU-BAD-REQUEST)
    ├── InvalidMobileError       400 CONT-001  invalid or missing mobile number
    ├── UnknownListError         400 EMU-LIST-UNKNOWN
    ├── MobileTakenError         400 EMU-MOBILE-TAKEN (PUT onto another contact's mobile)
    ├── BlockedMobileChangeError 400 EMU-CONT-BLOCKED (PUT moving a blocked contact's mobile)
    ├── UnsupportedFilterError   400 EMU-FILTER-UNSUPPORTED (a documented filter the emulator refuses)
    ├── InvalidCredentialsError  401 EMU-AUTH-CREDENTIALS
    ├── InvalidTokenError        401 EMU-AUTH-TOKEN (missing, malformed or expired token)
    ├── WrongAccountError        403 ACCT-008
    ├── ContactNotFoundError     404 EMU-NOT-FOUND
    ├── RuleNotFoundError        404 EMU-NOT-FOUND (inspection: no fault rule with that id)
    ├── RateLimitExceededError   429 EMU-RATE-LIMIT (+ Retry-After unless switched off)
    └── InjectedFaultError       any 4xx/5xx: EMU-FAULT-500 / EMU-FAULT-503 from `error_rate`, or the
                                 status, code and message of a fault rule or `X-Emulator-Fault`

Routes raise these; `handle_api_error` renders them. Starlette's own 404/405 (no such route or
method) are rendered the same way by `handle_http_exception`, a 405 with the route's real `Allow`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match

BLOCKED_ERROR: dict[str, str] = {
    "code": "CONT-010",
    "description": "Contact has requested no further communication",
}


class ApiError(Exception):
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


class InvalidMobileError(ApiError):
    code = "CONT-001"
    default_message = "Invalid mobile number"


class UnknownListError(ApiError):
    code = "EMU-LIST-UNKNOWN"
    default_message = "Unknown list id"


class MobileTakenError(ApiError):
    code = "EMU-MOBILE-TAKEN"
    default_message = "Another contact already has this mobile number"


class BlockedMobileChangeError(ApiError):
    code = "EMU-CONT-BLOCKED"
    default_message = "The mobile number of a blocked contact cannot be changed"


class UnsupportedFilterError(ApiError):
    code = "EMU-FILTER-UNSUPPORTED"
    default_message = "This filter is not supported by the emulator"


class InvalidCredentialsError(ApiError):
    status = 401
    code = "EMU-AUTH-CREDENTIALS"
    default_message = "Invalid client credentials"


class InvalidTokenError(ApiError):
    status = 401
    code = "EMU-AUTH-TOKEN"
    default_message = "Missing, malformed or expired access token"


class WrongAccountError(ApiError):
    status = 403
    code = "ACCT-008"
    default_message = "Account ID is invalid"


class ContactNotFoundError(ApiError):
    status = 404
    code = "EMU-NOT-FOUND"
    default_message = "Contact not found"


class RuleNotFoundError(ApiError):
    status = 404
    code = "EMU-NOT-FOUND"
    default_message = "No fault rule with this id"


class RateLimitExceededError(ApiError):
    status = 429
    code = "EMU-RATE-LIMIT"
    default_message = "Rate limit exceeded"

    def __init__(self, retry_after: int | None) -> None:
        super().__init__(headers=retry_after_header(retry_after))


# The code an injected status carries unless a rule names one: the code the emulator would use for
# that status anyway, so a client sees the same error whether it is real or injected.
_CODES: dict[int, type[ApiError]] = {
    400: ApiError,
    401: InvalidTokenError,
    403: WrongAccountError,
    404: ContactNotFoundError,
    429: RateLimitExceededError,
}


class InjectedFaultError(ApiError):
    """A fault answer: a 500 or 503 from `error_rate`, or what a fault rule or header asks for."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        usual = _CODES.get(status)
        super().__init__(
            message or (usual.default_message if usual else "Injected fault (emulator)"),
            headers=retry_after_header(retry_after),
        )
        self._status = status
        self._code = code or (usual.code if usual else f"EMU-FAULT-{status}")

    @property
    def status_code(self) -> int:
        return self._status

    @property
    def error_code(self) -> str:
        return self._code


def retry_after_header(seconds: int | None) -> dict[str, str]:
    """`{"Retry-After": "<seconds>"}`, or no header for None."""
    return {} if seconds is None else {"Retry-After": str(seconds)}


def error_body(code: str, message: str) -> dict[str, Any]:
    """The envelope every error answer uses."""
    return {"success": False, "error": {"code": code, "message": message}}


async def handle_api_error(request: Request, exc: Exception) -> Response:
    """Render an `ApiError` raised by a route."""
    assert isinstance(exc, ApiError)
    return JSONResponse(error_body(exc.error_code, exc.message), exc.status_code, headers=exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Render Starlette's own 404 (no such route) and 405 (method not allowed) in Sakari's envelope."""
    assert isinstance(exc, HTTPException)
    code = {404: "EMU-ROUTE-NOT-FOUND", 405: "EMU-METHOD-NOT-ALLOWED"}.get(exc.status_code, "EMU-HTTP")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path; one path has several routes.
        headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request))
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=headers)


def allowed_methods(routes: list[BaseRoute], request: Request) -> list[str]:
    """Every method some route answers on this request's path, sorted (HEAD comes with GET)."""
    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)

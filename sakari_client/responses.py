"""The one place that reads an HTTP answer: parsed JSON on success, the right error otherwise.

Nothing else in the client looks at a status code. The decisions:

- 2xx with a JSON body: the parsed body. 2xx with an empty body: None. 2xx whose body is not JSON,
  or is JSON saying `"success": false`: `MalformedResponseError` (fatal). A body cut short in transit
  fails earlier, in httpx, as a transport error (transient); a complete body in the wrong shape is a
  proxy page or an API change, and repeating the call would only fetch it again.
- 429: `RateLimitedError`, with `Retry-After` read as seconds or an HTTP date.
- 408 and every 5xx, whatever the body: `TransientError`.
- 400 and 422: `ContactRejectedError`. Every write carries one contact (or one CSV batch), so a
  refused body is that contact's problem (CONT-001 invalid mobile, an unknown list id, ...): record
  it and go on. A mistake shared by every contact shows up as every contact rejected with one code.
- 401, 403, 404, and any other 4xx (405, 409, 413, ...): the matching `FatalError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from sakari_client.errors import (
    AccountError,
    AuthenticationError,
    ContactRejectedError,
    FatalError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    SakariError,
    TransientError,
    UnconfirmedContactError,
)
from sakari_client.models import BulkUploadResult, Contact, Pagination, SavedContact
from sakari_client.redaction import redact

T = TypeVar("T")

_SNIPPET = 200  # characters of a non-JSON error body worth keeping in a message


def read_response(response: httpx.Response) -> Any:
    """Return the parsed JSON body of a successful answer, or raise the error it stands for."""
    status = response.status_code
    if 200 <= status < 300:
        return _read_success(response)
    code, message = _error_details(response)
    raise classify_error(status, code, message, response.headers.get("Retry-After"))


def classify_error(
    status: int, code: str | None, message: str, retry_after: str | None = None
) -> SakariError:
    """Map an error answer's status and Sakari code to the error the caller acts on."""
    if status == 429:
        return RateLimitedError(status, code, message, retry_after=parse_retry_after(retry_after))
    if status == 408 or status >= 500:
        return TransientError(status, code, message)
    if status == 401:
        return AuthenticationError(status, code, message)
    if status == 403:
        return AccountError(status, code, message)
    if status == 404:
        return NotFoundError(status, code, message)
    if status in (400, 422):
        return ContactRejectedError(status, code, message)
    return FatalError(status, code, message)


def transport_failure(exc: httpx.RequestError, request: httpx.Request) -> SakariError:
    """Turn an httpx failure with no usable answer into a client error naming where it went.

    Connection failures, timeouts, dropped connections, truncated bodies and garbled encodings are
    transient: the request may or may not have reached Sakari, and every write the client makes is
    safe to repeat (creation is an upsert by mobile). Anything else (e.g. a redirect loop) is fatal.
    The error's `url` is scheme, host, port and path: never the query, which may hold a number.
    """
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    kind = TransientError if isinstance(exc, httpx.TransportError | httpx.DecodingError) else FatalError
    return kind(None, None, detail, url=describe_url(request.url))


def describe_url(url: httpx.URL) -> str:
    """`scheme://host:port/path` of a request, for messages: no query, no credentials, and the
    path redacted (a contact id is the caller's string)."""
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{port}{redact(url.path)}"


def parse_retry_after(value: str | None) -> float | None:
    """Read a `Retry-After` header as seconds to wait; None when absent or unreadable.

    RFC 9110 allows a number of seconds or an HTTP date. Negative, non-finite and unparseable
    values are ignored (None) rather than guessed at; a date in the past means "now" (0.0).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _seconds_until(http_date: str) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _read_success(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise MalformedResponseError(
            response.status_code, None, f"expected a JSON body, got {kind} ({len(response.content)} bytes)"
        ) from None
    if isinstance(body, dict) and body.get("success") is False:
        code, message = _envelope_error(body)
        raise MalformedResponseError(response.status_code, code, f"success status but failed body: {message}")
    return body


def _error_details(response: httpx.Response) -> tuple[str | None, str]:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        return _envelope_error(body)
    text = response.text.strip()[:_SNIPPET] if response.content else ""
    return None, text or response.reason_phrase or "no detail"


def _envelope_error(body: dict[str, Any]) -> tuple[str | None, str]:
    """Read Sakari's `{"error": {"code", "message"}}` envelope, tolerating near misses."""
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message") or error.get("description") or "no message"
        return (str(code) if code is not None else None), str(message)
    if isinstance(error, str):
        return None, error
    return None, str(body.get("message") or "no message")


# --- a successful body, into models ----------------------------------------------------------


def validated(parse: Callable[[Any], T], data: Any, status: int) -> T:
    """Apply `parse`; a body of the wrong shape is a `MalformedResponseError` naming only fields
    (pydantic's own message would quote the values, phone numbers included). An error `parse`
    raises itself gets the answer's status, which only this function knows."""
    try:
        return parse(data)
    except SakariError as exc:
        if exc.status is None:
            exc.status = status
        raise
    except (ValidationError, KeyError, IndexError, TypeError, AttributeError) as exc:
        where = (
            sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors()})
            if isinstance(exc, ValidationError)
            else [type(exc).__name__]
        )
        raise MalformedResponseError(status, None, f"unexpected answer shape at {where}") from None


def raw_body(data: Any) -> Any:
    return data


def ignore_body(data: Any) -> None:
    return None


def saved_contact(body: Any, contact_id: str | None = None) -> SavedContact:
    """The one contact an answer carries, with its id. An answer without the id is given
    `contact_id` when the caller knows it (a get or an update); otherwise the caller cannot tell
    which contact it became: `UnconfirmedContactError`, a per-contact problem (a create)."""
    data = body["data"]
    if isinstance(data, list):
        if len(data) != 1:
            raise IndexError("expected exactly one contact")
        data = data[0]
    if isinstance(data, dict) and data.get("id") is None:
        if contact_id is None:
            raise _unconfirmed(Contact.model_validate(data))
        data = {**data, "id": contact_id}
    return SavedContact.model_validate(data)


def _unconfirmed(contact: Contact) -> UnconfirmedContactError:
    error = contact.error
    said = f" It said {error.code or 'no code'}: {error.description or 'nothing more'}." if error else ""
    return UnconfirmedContactError(
        None,
        error.code if error else None,
        f"Sakari accepted the contact but answered without its id, so it cannot be confirmed.{said}",
    )


def page_of_contacts(body: Any) -> tuple[Pagination, list[Contact]]:
    contacts = [Contact.model_validate(item) for item in body.get("data") or []]
    return Pagination.model_validate(body.get("pagination") or {}), contacts


def bulk_result(body: Any) -> BulkUploadResult:
    return BulkUploadResult.model_validate(body["data"])

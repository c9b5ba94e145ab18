"""`read_response` is the one place an answer's status becomes data or an error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

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
)
from sakari_client.responses import parse_retry_after, read_response, transport_failure

PHONE = "+14155550123"


def answer(status: int, body: object = None, *, text: str | None = None, **headers: str) -> httpx.Response:
    content = text.encode() if text is not None else b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers, request=httpx.Request("GET", "http://x/"))


def sakari_error(code: str, message: str) -> dict[str, object]:
    return {"success": False, "error": {"code": code, "message": message}}


def test_success_returns_parsed_body() -> None:
    assert read_response(answer(200, {"success": True, "data": {"id": "a"}})) == {
        "success": True,
        "data": {"id": "a"},
    }


def test_empty_success_body_is_none() -> None:
    assert read_response(answer(204)) is None


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "CONT-001", ContactRejectedError),
        (400, "EMU-LIST-UNKNOWN", ContactRejectedError),
        (422, None, ContactRejectedError),
        (401, "EMU-AUTH-TOKEN", AuthenticationError),
        (403, "ACCT-008", AccountError),
        (404, "EMU-NOT-FOUND", NotFoundError),
        (405, "EMU-METHOD-NOT-ALLOWED", FatalError),
        (409, None, FatalError),
        (408, None, TransientError),
        (429, "EMU-RATE-LIMIT", RateLimitedError),
        (500, "EMU-FAULT-500", TransientError),
        (502, None, TransientError),
        (503, "EMU-FAULT-503", TransientError),
    ],
)
def test_status_and_code_pick_the_error_class(status: int, code: str | None, kind: type[SakariError]) -> None:
    with pytest.raises(kind) as caught:
        read_response(answer(status, sakari_error(code or "X", "nope")))
    assert type(caught.value) is kind
    assert caught.value.status == status


def test_error_carries_status_code_and_message() -> None:
    with pytest.raises(ContactRejectedError) as caught:
        read_response(answer(400, sakari_error("CONT-001", "Invalid mobile number")))
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "CONT-001",
        "Invalid mobile number",
    )
    assert str(caught.value) == "HTTP 400 CONT-001: Invalid mobile number"


def test_error_message_masks_phone_numbers_and_tokens() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    body = sakari_error("CONT-001", f"Invalid mobile number {PHONE} for Bearer {token}")
    with pytest.raises(ContactRejectedError) as caught:
        read_response(answer(400, body))
    for text in (str(caught.value), repr(caught.value), caught.value.message):
        assert PHONE not in text
        assert "4155550123" not in text
        assert token not in text
    assert "0123" in caught.value.message


def test_5xx_with_html_body_is_transient_and_quotes_a_redacted_snippet() -> None:
    html = f"<html>Bad gateway for {PHONE}</html>" + "x" * 1000
    with pytest.raises(TransientError) as caught:
        read_response(answer(502, text=html))
    assert caught.value.code is None
    assert len(caught.value.message) <= 200
    assert PHONE not in caught.value.message


def test_error_without_body_uses_reason_phrase() -> None:
    with pytest.raises(TransientError, match="Service Unavailable"):
        read_response(answer(503))


def test_malformed_json_on_success_is_fatal_malformed_response() -> None:
    """A complete 2xx answer that is not JSON (a proxy page, an API change) will not improve on retry."""
    with pytest.raises(MalformedResponseError) as caught:
        read_response(answer(200, text="<html>login</html>", **{"Content-Type": "text/html"}))
    assert isinstance(caught.value, FatalError)
    assert "text/html" in caught.value.message


def test_truncated_json_on_success_is_malformed_response() -> None:
    with pytest.raises(MalformedResponseError):
        read_response(answer(201, text='{"success": true, "data": [{"id": '))


def test_success_status_with_failed_envelope_is_malformed_response() -> None:
    with pytest.raises(MalformedResponseError) as caught:
        read_response(answer(200, sakari_error("ACCT-016", "Insufficient access")))
    assert caught.value.code == "ACCT-016"


def test_429_reads_retry_after_seconds() -> None:
    with pytest.raises(RateLimitedError) as caught:
        read_response(answer(429, sakari_error("EMU-RATE-LIMIT", "slow down"), **{"Retry-After": "3"}))
    assert caught.value.retry_after == 3.0


def test_429_without_retry_after_has_none() -> None:
    with pytest.raises(RateLimitedError) as caught:
        read_response(answer(429, sakari_error("EMU-RATE-LIMIT", "slow down")))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("  2 ", 2.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past means now
    ],
)
def test_parse_retry_after_tolerates_odd_values(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_reads_http_dates() -> None:
    later = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 27 <= seconds <= 30


def test_transport_failures_are_transient_and_name_the_failure() -> None:
    error = transport_failure(httpx.ReadTimeout("timed out"))
    assert isinstance(error, TransientError)
    assert error.status is None
    assert str(error) == "no response: ReadTimeout: timed out"


def test_redirect_loops_are_fatal() -> None:
    assert type(transport_failure(httpx.TooManyRedirects("loop"))) is FatalError


def test_rate_limited_error_survives_pickling() -> None:
    import pickle

    error = RateLimitedError(429, "EMU-RATE-LIMIT", "slow down", retry_after=2.0)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert (copy.status, copy.code, copy.message, copy.retry_after) == (
        429,
        "EMU-RATE-LIMIT",
        "slow down",
        2.0,
    )

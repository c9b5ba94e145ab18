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
    """A 2xx JSON answer comes back parsed."""
    assert read_response(answer(200, {"success": True, "data": {"id": "a"}})) == {
        "success": True,
        "data": {"id": "a"},
    }


def test_empty_success_body_is_none() -> None:
    """A 2xx with no body (204) is None, not an error."""
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
    """Each status maps to the error class that says what the caller does next."""
    with pytest.raises(kind) as caught:
        read_response(answer(status, sakari_error(code or "X", "nope")))
    assert type(caught.value) is kind
    assert caught.value.status == status


def test_error_carries_status_code_and_message() -> None:
    """Sakari's error envelope fills the error's status, code and message."""
    with pytest.raises(ContactRejectedError) as caught:
        read_response(answer(400, sakari_error("CONT-001", "Invalid mobile number")))
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400,
        "CONT-001",
        "Invalid mobile number",
    )
    assert str(caught.value) == "HTTP 400 CONT-001: Invalid mobile number"


def test_error_message_masks_phone_numbers_and_tokens() -> None:
    """A server message quoting a number or a token is redacted in str, repr and message."""
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
    """A non-JSON 5xx keeps at most 200 redacted characters of its body."""
    html = f"<html>Bad gateway for {PHONE}</html>" + "x" * 1000
    with pytest.raises(TransientError) as caught:
        read_response(answer(502, text=html))
    assert caught.value.code is None
    assert len(caught.value.message) <= 200
    assert PHONE not in caught.value.message


def test_error_without_body_uses_reason_phrase() -> None:
    """An error with no body is described by the status's reason phrase."""
    with pytest.raises(TransientError, match="Service Unavailable"):
        read_response(answer(503))


def test_malformed_json_on_success_is_fatal_malformed_response() -> None:
    """A complete 2xx answer that is not JSON (a proxy page, an API change) will not improve on retry."""
    with pytest.raises(MalformedResponseError) as caught:
        read_response(answer(200, text="<html>login</html>", **{"Content-Type": "text/html"}))
    assert isinstance(caught.value, FatalError)
    assert "text/html" in caught.value.message


def test_truncated_json_on_success_is_malformed_response() -> None:
    """A complete 2xx answer that is cut-off JSON is a malformed answer (the transport saw it whole)."""
    with pytest.raises(MalformedResponseError):
        read_response(answer(201, text='{"success": true, "data": [{"id": '))


def test_success_status_with_failed_envelope_is_malformed_response() -> None:
    """A 2xx saying `success: false` is malformed, keeping the code it carried."""
    with pytest.raises(MalformedResponseError) as caught:
        read_response(answer(200, sakari_error("ACCT-016", "Insufficient access")))
    assert caught.value.code == "ACCT-016"


def test_429_reads_retry_after_seconds() -> None:
    """A 429 with `Retry-After: 3` carries 3.0 seconds."""
    with pytest.raises(RateLimitedError) as caught:
        read_response(answer(429, sakari_error("EMU-RATE-LIMIT", "slow down"), **{"Retry-After": "3"}))
    assert caught.value.retry_after == 3.0


def test_429_without_retry_after_has_none() -> None:
    """A 429 without `Retry-After` carries None (the pacer then decides)."""
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
    """Odd `Retry-After` values are read as seconds or ignored, never guessed at."""
    assert parse_retry_after(header) == expected


def test_parse_retry_after_reads_http_dates() -> None:
    """`Retry-After` as an HTTP date is the seconds until then."""
    later = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 27 <= seconds <= 30


def test_transport_failures_are_transient_and_name_the_failure_and_the_url() -> None:
    """A timeout is transient, and says what failed and where: scheme, host, port and path."""
    request = httpx.Request("GET", "https://api.sakari.io/v1/accounts/a/contacts?mobile=%2B14155550123")
    error = transport_failure(httpx.ReadTimeout("timed out"), request)
    assert isinstance(error, TransientError)
    assert error.status is None
    assert error.url == "https://api.sakari.io:443/v1/accounts/a/contacts"
    assert (
        str(error) == "no response: ReadTimeout: timed out (https://api.sakari.io:443/v1/accounts/a/contacts)"
    )


def test_the_url_in_a_failure_keeps_an_ip_address_and_port_whole() -> None:
    """A host given as an IP address is named as is (redaction masks digit runs only in the path)."""
    request = httpx.Request("POST", "http://10.200.100.123:8080/oauth2/token")
    error = transport_failure(httpx.ConnectError("refused"), request)
    assert error.url == "http://10.200.100.123:8080/oauth2/token"
    assert "10.200.100.123:8080" in error.message
    ipv6 = transport_failure(httpx.ConnectError("refused"), httpx.Request("GET", "http://[::1]:9/x"))
    assert ipv6.url == "http://[::1]:9/x"


def test_redirect_loops_are_fatal() -> None:
    """A redirect loop is no transient failure: repeating it loops again."""
    request = httpx.Request("GET", "https://sakari.test/")
    assert type(transport_failure(httpx.TooManyRedirects("loop"), request)) is FatalError


def test_rate_limited_error_survives_pickling() -> None:
    """A 429 error pickled (a task result crossing processes) keeps its retry_after."""
    import pickle

    error = RateLimitedError(429, "EMU-RATE-LIMIT", "slow down", retry_after=2.0)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert (copy.status, copy.code, copy.message, copy.retry_after) == (
        429,
        "EMU-RATE-LIMIT",
        "slow down",
        2.0,
    )


def test_errors_survive_pickling_with_their_url_and_class() -> None:
    """A transport failure crossing a process boundary keeps its class, url and message unchanged."""
    import pickle

    request = httpx.Request("POST", "https://api.sakari.io/v1/accounts/a/contacts")
    error = transport_failure(httpx.ConnectError("refused"), request)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert type(copy) is TransientError
    assert (copy.url, copy.message, str(copy)) == (error.url, error.message, str(error))


def test_redaction_masks_phones_but_keeps_hex_ids() -> None:
    """A phone in any spelling is masked to its last four digits; Sakari's 24-character hex ids are kept,
    so an error can still say which list id it is about."""
    from sakari_client.redaction import redact

    assert redact("Unknown list id: 0000000000000000deadbeef") == "Unknown list id: 0000000000000000deadbeef"
    assert redact("mobile +1 (415) 555-0123 x345") == "mobile •••••••0123 x345"
    assert redact("4155550123x345") == "••••••0123x345"

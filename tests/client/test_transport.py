"""The default transport (httpx over aiohttp) on real sockets, where the emulator cannot misbehave:
a body cut short, a server hanging up without an answer, a refused connection, an untrusted
certificate. Each failure must reach the caller as the `TransientError` the client retries, naming
the URL it tried."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import httpx
import pytest
import stamina

from sakari_client import ContactIn, MobileIn, SakariClient, TransientError
from sakari_client.transport import mapped_failures
from tests.support.tls import self_signed

BODY = ContactIn(mobile=MobileIn(number="+14155550123"))
TOKEN_ANSWER = b'{"access_token": "opaque-token"}'
# Given a request's path, the raw bytes to answer with (None: hang up without a word).
Script = Callable[[str], bytes | None]


def answer(status: str, body: bytes, *, length: int | None = None) -> bytes:
    """A raw HTTP/1.1 answer; `length` may claim more bytes than `body` has."""
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


@asynccontextmanager
async def raw_server(script: Script, tls: ssl.SSLContext | None = None) -> AsyncIterator[list[str]]:
    """A loopback server answering each request as `script` says; yields the paths it was sent."""
    paths: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            (int(v) for k, _, v in (h.partition(": ") for h in lines) if k.lower() == "content-length"), 0
        )
        await reader.readexactly(length)
        path = lines[0].split(" ")[1].split("?")[0]
        paths.append(path)
        reply = script(path)
        if reply is not None:
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    async with server:
        port = server.sockets[0].getsockname()[1]
        paths.append(f"port:{port}")
        yield paths


def port_of(paths: list[str]) -> int:
    return int(paths.pop(0).removeprefix("port:"))


def contacts_fail_with(reply: bytes | None) -> Script:
    """Tokens are granted; every contacts call gets `reply` (None: the connection is dropped)."""
    return lambda path: answer("200 OK", TOKEN_ANSWER) if path == "/oauth2/token" else reply


async def create_against(url: str, attempts: int = 2) -> TransientError:
    """Create one contact through the default transport; return the error it ended in."""
    with stamina.set_testing(True, attempts=attempts):
        async with SakariClient(url, "acct", "id", "secret") as client:
            with pytest.raises(TransientError) as caught:
                await client.create_contact(BODY)
    return caught.value


async def test_a_body_cut_short_is_a_transient_error_and_retried() -> None:
    """Fewer bytes than Content-Length, then a hang-up: transient, retried, and the URL is named."""
    cut = answer("201 Created", b'{"success": true, "data": [{"id": "c', length=200)
    async with raw_server(contacts_fail_with(cut)) as paths:
        port = port_of(paths)
        error = await create_against(f"http://127.0.0.1:{port}")
    assert paths == ["/oauth2/token", "/v1/accounts/acct/contacts", "/v1/accounts/acct/contacts"]
    assert error.message.startswith("RemoteProtocolError: Response payload is not completed")
    assert error.url == f"http://127.0.0.1:{port}/v1/accounts/acct/contacts"


async def test_a_server_hanging_up_without_an_answer_is_transient_not_a_connect_timeout() -> None:
    """No answer at all after the request was sent (it may have committed): a protocol error, retried."""
    async with raw_server(contacts_fail_with(None)) as paths:
        port = port_of(paths)
        error = await create_against(f"http://127.0.0.1:{port}")
    assert paths.count("/v1/accounts/acct/contacts") == 2
    assert error.message.startswith("RemoteProtocolError: Server disconnected")
    assert "ConnectTimeout" not in error.message


async def test_a_refused_connection_names_the_server_that_did_not_answer() -> None:
    """Nobody listening: a `ConnectError` whose message names scheme, host and port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await create_against(f"http://127.0.0.1:{port}", attempts=1)
    assert error.message.startswith("ConnectError: Cannot connect to host 127.0.0.1")
    assert str(error).endswith(f"(http://127.0.0.1:{port}/oauth2/token)")


def server_context(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 that no trust store knows."""
    cert_file, key_file = self_signed(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


async def test_an_untrusted_certificate_fails_verification_before_any_request(tmp_path: Path) -> None:
    """TLS is verified by default: a self-signed server gets no request, not even the secret's."""
    async with raw_server(contacts_fail_with(None), tls=server_context(tmp_path)) as paths:
        port = port_of(paths)
        error = await create_against(f"https://127.0.0.1:{port}", attempts=1)
    assert paths == []
    assert "CERTIFICATE_VERIFY_FAILED" in error.message
    assert "CERTIFICATE_VERIFY_FAILED" in str(error.__cause__)
    assert error.url == f"https://127.0.0.1:{port}/oauth2/token"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("Response payload is not completed"), httpx.RemoteProtocolError),
        (aiohttp.SocketTimeoutError("Timeout on reading data from socket"), httpx.ReadTimeout),
        (aiohttp.ConnectionTimeoutError("Connection timeout to host"), httpx.ConnectTimeout),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.ReadError),
        (TimeoutError(), httpx.TimeoutException),
    ],
)
def test_aiohttp_failures_become_the_httpx_errors_they_mean(
    raised: BaseException, expected: type[httpx.TransportError]
) -> None:
    """Raw, or as httpx-aiohttp mapped them (a drop as `ConnectTimeout`), each surfaces as the right error."""
    for thrown in (raised, _as_the_library_maps(raised)):
        with pytest.raises(httpx.TransportError) as caught, mapped_failures():
            raise thrown
        assert type(caught.value) is expected
        assert caught.value.__cause__ is raised


def _as_the_library_maps(exc: BaseException) -> httpx.TransportError:
    mapped = httpx.ConnectTimeout(str(exc))
    mapped.__cause__ = exc
    return mapped


def test_other_failures_pass_through_untouched() -> None:
    """What is not aiohttp's (a bug, a cancellation) is not disguised as a transport error."""
    with pytest.raises(RuntimeError, match="bug"), mapped_failures():
        raise RuntimeError("bug")
    plain = httpx.ReadError("no cause")
    with pytest.raises(httpx.ReadError) as caught, mapped_failures():
        raise plain
    assert caught.value is plain

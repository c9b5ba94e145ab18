"""A client that goes away while its body is being read: no traceback, no 500, counted under 499."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.types import Message

from sakari_emulator.app import create_app
from sakari_emulator.config import EmulatorConfig
from tests.support.credentials import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.emulator import CONTACTS_PATH, CONTACTS_ROUTE, Emulator, EmulatorFactory


def _send_half_a_request(url: str, token: str) -> None:
    """Headers announcing 1000 bytes, 6 of them, then close."""
    parts = urlsplit(url)
    head = (
        f"POST {CONTACTS_PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"mobi')


async def _wait_for_count(emu: Emulator, status: int) -> int:
    """Poll the stats for up to 10 s (the server notices the close asynchronously)."""
    for _ in range(200):
        found = await emu.count("POST", CONTACTS_ROUTE, status)
        if found:
            return found
        await asyncio.sleep(0.05)
    return 0


async def test_a_client_closing_mid_body_is_counted_as_499_without_a_traceback(
    emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Over real HTTP: the request counts under 499 (not 500), nothing is logged, nothing written."""
    emu = emulator_factory.start("http")
    token = await emu.token()
    with caplog.at_level(logging.WARNING):
        _send_half_a_request(emu.url, token)
        assert await _wait_for_count(emu, 499) == 1
    assert await emu.count("POST", CONTACTS_ROUTE, 500) == 0
    assert await emu.contacts() == []
    assert [r.getMessage() for r in caplog.records] == []
    # The server still answers on new connections.
    assert (
        await emu.http.get(CONTACTS_PATH, headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


async def test_a_disconnect_in_process_sends_nothing_and_counts_499() -> None:
    """At the ASGI level: an http.disconnect while the body is read ends the request silently."""
    app = create_app(EmulatorConfig())
    backend = app.state.emulator
    token = backend.tokens.issue(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, 60)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": CONTACTS_PATH, "raw_path": CONTACTS_PATH.encode(), "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000),
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json"),
                    (b"content-length", b"1000")],
    }  # fmt: skip
    incoming: Iterator[Message] = iter(
        [{"type": "http.request", "body": b'{"mobi', "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent == []
    assert backend.stats()["requests"] == [
        {"method": "POST", "route": CONTACTS_ROUTE, "status": 499, "count": 1}
    ]
    backend.close()

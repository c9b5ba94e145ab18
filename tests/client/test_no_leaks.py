"""A whole client session, faults included, leaves no secret, token or full phone number in any log
record or error message."""

from __future__ import annotations

import asyncio
import logging

import pytest
import stamina

from sakari_client import ContactIn, MobileIn, SakariClient, SakariError
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.emulator import Emulator

PHONES = [f"+1415888{n:04d}" for n in range(20)]
TOO_LONG = "+14158889999123456"  # 17 digits: refused as CONT-001, and phone-like enough to leak


def forbidden() -> list[str]:
    # Full numbers, with and without the country code; any JWT ("eyJ" opens every JWT header).
    return (
        [DEMO_CLIENT_SECRET, "wrong-secret-value", "eyJ"] + PHONES + [p[2:] for p in PHONES] + [TOO_LONG[2:]]
    )


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.__dict__)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


async def session(emulator: Emulator, errors: list[BaseException]) -> None:
    """Creates, blocks, rejections, 429s, 5xx, drops, a search by mobile and a bad secret."""
    await emulator.inspect("POST", "/_emulator/block", {"mobile": PHONES[0]})
    await emulator.set_faults(error_rate=0.15, drop_rate=0.15, rate_limit=40.0, burst=5, retry_after=False)
    people = [ContactIn(mobile=MobileIn(number=p), firstName=f"P{i}") for i, p in enumerate(PHONES)]
    async with emulator.client() as client:
        created = await asyncio.gather(*(client.create_contact(p) for p in people), return_exceptions=True)
        errors.extend(e for e in created if isinstance(e, BaseException))
        for call in (
            client.create_contact(ContactIn(mobile=MobileIn(number=TOO_LONG))),
            client.get_contact("f" * 24),
        ):
            try:
                await call
            except SakariError as exc:
                errors.append(exc)
        await emulator.set_faults(error_rate=0.0, drop_rate=0.0)
        found = [c async for c in client.list_contacts(mobile=PHONES[3])]
        assert len(found) == 1
        assert client.stats.rate_limited + client.stats.transport_errors + client.stats.retries > 0
    async with SakariClient(
        emulator.url, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, "wrong-secret-value", transport=emulator.transport
    ) as bad:
        try:
            await bad.get_contact("f" * 24)
        except SakariError as exc:
            errors.append(exc)


async def test_no_secret_token_or_phone_in_logs_or_errors(
    over_http: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A session with faults leaves no secret, token or full number in DEBUG logs or errors."""
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    with stamina.set_testing(True, attempts=10):
        await session(over_http, errors)
    assert len(errors) >= 3  # the rejection, the 404 and the bad secret at least
    assert any(r.name == "sakari_client.session" for r in caplog.records)  # DEBUG really was on
    assert any(r.name == "httpx" for r in caplog.records)
    texts = [record_text(r) for r in caplog.records] + [f"{e}\n{e!r}" for e in errors]
    leaks = [(needle, text) for text in texts for needle in forbidden() if needle in text]
    assert leaks == []

"""Transient faults from the emulator: 429s, 5xx bursts, connections dropped after commit, timeouts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import stamina

from sakari_client import ContactIn, TransientError
from tests.support.emulator import Emulator

CONTACTS = "/v1/accounts/{accountId}/contacts"


def person(n: int) -> ContactIn:
    return ContactIn.model_validate({"mobile": {"number": f"+1415777{n:04d}"}, "firstName": f"P{n}"})


def mobiles(contacts: list[dict[str, Any]]) -> list[str]:
    return sorted(c["mobile"]["number"] for c in contacts)


async def test_429_with_retry_after_pauses_then_succeeds(emulator: Emulator) -> None:
    """429s with `Retry-After` make the client wait as asked, and every create lands."""
    await emulator.set_faults(rate_limit=5.0, burst=2, retry_after=True)
    async with emulator.client() as client:
        started = time.monotonic()
        await asyncio.gather(*(client.create_contact(person(n)) for n in range(6)))
        elapsed = time.monotonic() - started
        assert client.stats.rate_limited >= 1
        assert client.stats.retries >= 1
    # The emulator asks for whole seconds; the client waits as asked instead of hammering.
    assert elapsed >= 1.0
    assert await emulator.count("POST", CONTACTS, 429) == client.stats.rate_limited
    assert len(await emulator.contacts()) == 6


async def test_429_without_retry_after_slows_the_client_down(emulator: Emulator) -> None:
    """Bare 429s teach the pacer a rate near the server's, and every create lands."""
    await emulator.set_faults(rate_limit=20.0, burst=2, retry_after=False)
    async with emulator.client() as client:
        assert client.current_rate is None
        await asyncio.gather(*(client.create_contact(person(n)) for n in range(30)))
        assert client.stats.rate_limited >= 1
        assert client.current_rate is not None
        assert client.current_rate < 40
    assert len(await emulator.contacts()) == 30


async def test_5xx_burst_is_retried_until_every_create_succeeds(emulator: Emulator) -> None:
    """30 % of answers 5xx: retries carry every create through, each contact once."""
    await emulator.set_faults(error_rate=0.3)
    with stamina.set_testing(True, attempts=10):  # no back-off sleeps; the retry decisions are real
        async with emulator.client() as client:
            created = await asyncio.gather(*(client.create_contact(person(n)) for n in range(40)))
            assert client.stats.by_status[500] + client.stats.by_status[503] >= 5
            assert client.stats.retries >= 5
    assert len({c.id for c in created}) == 40
    assert mobiles(await emulator.contacts()) == sorted(f"+1415777{n:04d}" for n in range(40))


async def test_5xx_outlasting_the_attempts_raises_transient_error(in_process: Emulator) -> None:
    """Only 5xx answers: `TransientError` after the configured attempts."""
    await in_process.set_faults(error_rate=1.0)
    with stamina.set_testing(True, attempts=3):
        async with in_process.client() as client:
            with pytest.raises(TransientError) as caught:
                await client.get_contact("0" * 24)
            assert caught.value.status in (500, 503)
            assert client.stats.retries == 2


async def test_dropped_connection_after_commit_is_retried_without_duplicates(over_http: Emulator) -> None:
    """Over real HTTP the answer never arrives; the retry upserts by mobile, so each contact exists once."""
    await over_http.set_faults(drop_rate=0.4)
    with stamina.set_testing(True, attempts=10):
        async with over_http.client() as client:
            await asyncio.gather(*(client.create_contact(person(n)) for n in range(30)))
            dropped = client.stats.transport_errors
    stats = await over_http.inspect("GET", "/_emulator/stats")
    assert dropped >= 3
    assert stats["dropped"] == dropped
    assert mobiles(await over_http.contacts()) == sorted(f"+1415777{n:04d}" for n in range(30))


async def test_dropped_connection_in_process_is_a_transient_error_too(in_process: Emulator) -> None:
    """A drop after commit in-process is transient too; the next create upserts the same contact."""
    await in_process.set_faults(drop_rate=1.0)
    with stamina.set_testing(True, attempts=2):
        async with in_process.client() as client:
            with pytest.raises(TransientError, match="dropped after the write committed"):
                await client.create_contact(person(1))
    await in_process.set_faults(drop_rate=0.0)
    async with in_process.client() as client:
        again = await client.create_contact(person(1))
    assert [c["id"] for c in await in_process.contacts()] == [again.id]


async def test_timeout_is_transient_and_a_retry_creates_no_duplicate(over_http: Emulator) -> None:
    """The emulator answers slower than the client waits; the write may still land, once."""
    # The client waits 0.5 s (a loopback answer typically takes a few ms: 100x that) for an answer
    # that takes 2 s (4x the wait, so a slow machine cannot make it arrive in time).
    with stamina.set_testing(True, attempts=2):
        async with over_http.client(timeout=0.5) as client:
            [c async for c in client.list_contacts()]  # holds a token before the emulator slows down
            await over_http.set_faults(latency=2.0)
            with pytest.raises(TransientError, match="ReadTimeout") as caught:
                await client.create_contact(person(9))
            assert client.stats.transport_errors == 2
    assert caught.value.url == f"{over_http.url}{over_http.contacts_path}"
    await asyncio.sleep(2.0)  # let the server finish what it started
    await over_http.set_faults(latency=0.0)
    async with over_http.client() as client:
        contact = await client.create_contact(person(9))
    assert [c["id"] for c in await over_http.contacts()] == [contact.id]

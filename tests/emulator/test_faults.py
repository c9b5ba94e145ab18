"""Each fault option is observable: 429 (with and without Retry-After), 429 windows, 500/503,
connections dropped after commit, latency; and faults can be changed at runtime."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sakari_emulator.faults import ConnectionDroppedError

from .conftest import CONTACTS, Emulator, MakeEmulator
from .schema import assert_error


async def _statuses(emu: Emulator, count: int) -> list[int]:
    return [(await emu.client.get(CONTACTS)).status_code for _ in range(count)]


async def test_rate_limit_answers_429_with_retry_after_once_the_burst_is_spent(
    make_emulator: MakeEmulator,
) -> None:
    emu = await (await make_emulator(rate_limit=0.5, burst=3)).login()
    assert await _statuses(emu, 3) == [200, 200, 200]
    response = await emu.client.get(CONTACTS)
    assert response.status_code == 429
    assert_error(response.json(), "EMU-RATE-LIMIT")
    assert response.headers["Retry-After"] == "2"


async def test_rate_limit_without_retry_after_sends_no_header(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator(rate_limit=0.5, burst=1, retry_after=False)).login()
    assert await _statuses(emu, 1) == [200]
    response = await emu.client.get(CONTACTS)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


async def test_rate_limit_refills_at_the_rate(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator(rate_limit=4, burst=1)).login()
    assert await _statuses(emu, 2) == [200, 429]
    await asyncio.sleep(0.3)
    assert await _statuses(emu, 1) == [200]


async def test_token_endpoint_is_not_rate_limited(make_emulator: MakeEmulator) -> None:
    emu = await make_emulator(rate_limit=0.5, burst=1)
    for _ in range(3):
        await emu.token()


async def test_throttle_windows_answer_429_for_everyone_then_clear(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator()).login()
    await emu.client.patch(
        "/_emulator/faults", json={"throttle_burst_every": 1.0, "throttle_burst_length": 0.5}
    )
    assert await _statuses(emu, 1) == [200]
    await asyncio.sleep(0.65)
    response = await emu.client.get(CONTACTS)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    await asyncio.sleep(0.45)
    assert await _statuses(emu, 1) == [200]


async def test_error_rate_answers_500_and_503(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator(seed=3)).login()
    await emu.client.patch("/_emulator/faults", json={"error_rate": 0.5})
    statuses = await _statuses(emu, 40)
    assert {500, 503, 200} == set(statuses)
    assert 8 <= statuses.count(200) <= 32
    failed = await emu.client.get(CONTACTS)
    while failed.status_code == 200:
        failed = await emu.client.get(CONTACTS)
    assert_error(failed.json(), f"EMU-FAULT-{failed.status_code}")


async def test_error_rate_one_fails_every_call_before_any_write(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator()).login()
    await emu.client.patch("/_emulator/faults", json={"error_rate": 1})
    response = await emu.create({"mobile": {"number": "+14155550400"}})
    assert response.status_code in (500, 503)
    assert emu.backend.all_contacts() == []


async def test_dropped_write_is_committed_though_the_client_gets_a_transport_error(
    make_emulator: MakeEmulator,
) -> None:
    emu = await (await make_emulator(drop_rate=1.0)).login()
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await emu.create({"firstName": "Dropped", "mobile": {"number": "+14155550401"}})
    if emu.transport == "asgi":
        assert isinstance(caught.value, ConnectionDroppedError)
    [contact] = (await emu.client.get("/_emulator/contacts")).json()
    assert contact["firstName"] == "Dropped"
    stats = (await emu.client.get("/_emulator/stats")).json()
    assert stats["dropped"] == 1
    # Reads are never dropped, and the client recovers on a new connection.
    assert (await emu.client.get(CONTACTS)).status_code == 200


async def test_failed_writes_are_not_dropped(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator(drop_rate=1.0)).login()
    response = await emu.create({"mobile": {"number": "12"}})
    assert response.status_code == 400


async def test_latency_delays_each_answer(make_emulator: MakeEmulator) -> None:
    emu = await (await make_emulator()).login()
    await emu.client.patch("/_emulator/faults", json={"latency": 0.3, "latency_jitter": 0.05})
    started = time.perf_counter()
    await emu.client.get(CONTACTS)
    assert time.perf_counter() - started >= 0.25
    await emu.client.patch("/_emulator/faults", json={"latency": 0, "latency_jitter": 0})
    started = time.perf_counter()
    await emu.client.get(CONTACTS)
    assert time.perf_counter() - started < 0.25


async def test_patch_faults_answers_the_full_settings(make_emulator: MakeEmulator) -> None:
    emu = await make_emulator()
    response = await emu.client.patch("/_emulator/faults", json={"rate_limit": 50, "retry_after": False})
    assert response.status_code == 200
    settings = response.json()["data"]
    assert settings["rate_limit"] == 50
    assert settings["retry_after"] is False
    assert settings["burst"] == 10


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"nope": 1}, {"burst": 0}, {"rate_limit": -1}, {"retry_after": "yes"}, [1],
     {"throttle_burst_every": 1, "throttle_burst_length": 1}],
)  # fmt: skip
async def test_patch_faults_rejects_bad_values(make_emulator: MakeEmulator, body: object) -> None:
    emu = await make_emulator()
    response = await emu.client.patch("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")

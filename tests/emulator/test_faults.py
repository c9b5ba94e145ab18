"""The random and timed faults, one test each at least: 429 buckets (with and without Retry-After),
429 windows, 500/503 shares, connections dropped after commit, latency; and runtime changes.

Tests that only need "this request fails" use fault rules or the header (test_fault_rules.py).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.exceptions import RateLimitExceededError
from sakari_emulator.faults import ConnectionDroppedError, FaultPlan
from tests.support.emulator import CONTACTS_PATH, Emulator, EmulatorFactory, MakeEmulator

from .schema import assert_error


async def _statuses(emu: Emulator, count: int) -> list[int]:
    return [(await emu.http.get(CONTACTS_PATH)).status_code for _ in range(count)]


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_rate_limit_answers_429_with_retry_after_once_the_burst_is_spent(
    make_emulator: MakeEmulator,
) -> None:
    """After `burst` calls the bucket is empty: 429 EMU-RATE-LIMIT with Retry-After rounded up."""
    emu = await make_emulator(rate_limit=0.5, burst=3).login()
    assert await _statuses(emu, 3) == [200, 200, 200]
    response = await emu.http.get(CONTACTS_PATH)
    assert response.status_code == 429
    assert_error(response.json(), "EMU-RATE-LIMIT")
    assert response.headers["Retry-After"] == "2"  # 1 token at 0.5/s; holds while the 4 calls take < 1 s


async def test_rate_limit_without_retry_after_sends_no_header(make_emulator: MakeEmulator) -> None:
    """retry_after off: the 429 carries no Retry-After header."""
    emu = await make_emulator(rate_limit=0.5, burst=1, retry_after=False).login()
    assert await _statuses(emu, 1) == [200]
    response = await emu.http.get(CONTACTS_PATH)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_rate_limit_refills_at_the_rate() -> None:
    """The bucket regains `rate_limit` tokens a second, never more than `burst`."""
    clock = FakeClock()
    plan = FaultPlan(EmulatorConfig(rate_limit=2, burst=2), clock=clock)
    plan.admit("a")
    plan.admit("a")
    with pytest.raises(RateLimitExceededError):
        plan.admit("a")
    clock.now += 0.49
    with pytest.raises(RateLimitExceededError):
        plan.admit("a")
    clock.now += 0.02  # 0.51 s at 2/s: one token back
    plan.admit("a")
    clock.now += 60  # a long rest refills up to the burst only
    plan.admit("a")
    plan.admit("a")
    with pytest.raises(RateLimitExceededError):
        plan.admit("a")


async def test_rate_limit_refills_over_real_http(emulator_factory: EmulatorFactory) -> None:
    """Over HTTP, a 429 clears once Retry-After has passed (waits 3x the refill time)."""
    emu = await emulator_factory.start("http", rate_limit=2, burst=1).login()
    assert await _statuses(emu, 2) == [200, 429]  # two calls within 0.5 s
    await asyncio.sleep(1.5)
    assert await _statuses(emu, 1) == [200]


async def test_token_endpoint_is_not_rate_limited(make_emulator: MakeEmulator) -> None:
    """Token requests never take from the bucket."""
    emu = make_emulator(rate_limit=0.5, burst=1)
    for _ in range(3):
        await emu.token()


def test_throttle_windows_sit_at_the_end_of_each_period() -> None:
    """every=60, length=5: 429 from 55 s to 60 s after the start, Retry-After until the window ends."""
    clock = FakeClock()
    plan = FaultPlan(EmulatorConfig(throttle_burst_every=60, throttle_burst_length=5), clock=clock)
    start = clock.now
    for offset, retry in [(0, None), (54.9, None), (55, "5"), (59.2, "1"), (60, None), (115.5, "5")]:
        clock.now = start + offset
        if retry is None:
            plan.admit("a")
            continue
        with pytest.raises(RateLimitExceededError) as caught:
            plan.admit("a")
        assert caught.value.headers["Retry-After"] == retry, offset


async def test_throttle_windows_answer_429_over_real_http(emulator_factory: EmulatorFactory) -> None:
    """A throttle window answers 429 to every call, then clears (each check 0.75 s from an edge)."""
    emu = await emulator_factory.start("http").login()
    await emu.set_faults(throttle_burst_every=3.0, throttle_burst_length=1.5)
    started = time.monotonic()  # the windows count from the PATCH: [1.5 s, 3 s), [4.5 s, 6 s), ...
    assert await _statuses(emu, 1) == [200]
    await asyncio.sleep(2.25 - (time.monotonic() - started))
    response = await emu.http.get(CONTACTS_PATH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    await asyncio.sleep(3.75 - (time.monotonic() - started))
    assert await _statuses(emu, 1) == [200]


async def test_error_rate_answers_500_and_503(make_emulator: MakeEmulator) -> None:
    """error_rate answers a share of calls 500 or 503, in Sakari's envelope (seeded, so reproducible)."""
    emu = await make_emulator(seed=3).login()
    await emu.set_faults(error_rate=0.5)
    statuses = await _statuses(emu, 40)
    assert {500, 503, 200} == set(statuses)
    assert 8 <= statuses.count(200) <= 32
    failed = await emu.http.get(CONTACTS_PATH)
    while failed.status_code == 200:
        failed = await emu.http.get(CONTACTS_PATH)
    assert_error(failed.json(), f"EMU-FAULT-{failed.status_code}")


async def test_dropped_write_is_committed_though_the_client_gets_a_transport_error(
    make_emulator: MakeEmulator,
) -> None:
    """drop_rate 1: the write commits, the client sees a transport error, stats count one drop."""
    emu = await make_emulator(drop_rate=1.0).login()
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await emu.create({"firstName": "Dropped", "mobile": {"number": "+14155550401"}})
    if emu.kind == "asgi":
        assert isinstance(caught.value, ConnectionDroppedError)
    [contact] = await emu.contacts()
    assert contact["firstName"] == "Dropped"
    assert (await emu.stats())["dropped"] == 1
    # Reads are never dropped, and the client recovers on a new connection.
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200


async def test_latency_delays_each_answer(make_emulator: MakeEmulator) -> None:
    """Each answer waits at least latency - jitter; latency 0 adds no wait at all."""
    emu = await make_emulator().login()
    await emu.set_faults(latency=0.3, latency_jitter=0.05)
    started = time.perf_counter()
    await emu.http.get(CONTACTS_PATH)
    assert time.perf_counter() - started >= 0.25  # a lower bound: sleeps never end early
    await emu.set_faults(latency=0, latency_jitter=0)
    assert emu.backend.faults.delay() == 0.0


async def test_patch_faults_answers_the_full_settings(make_emulator: MakeEmulator) -> None:
    """PATCH /_emulator/faults changes the fields sent and answers every fault setting."""
    emu = make_emulator()
    settings = await emu.set_faults(rate_limit=50, retry_after=False)
    assert settings["rate_limit"] == 50
    assert settings["retry_after"] is False
    assert settings["burst"] == 10


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"nope": 1}, {"burst": 0}, {"rate_limit": -1}, {"retry_after": "yes"}, [1],
     {"throttle_burst_every": 1, "throttle_burst_length": 1}],
)  # fmt: skip
async def test_patch_faults_rejects_bad_values(make_emulator: MakeEmulator, body: object) -> None:
    """Invalid or unknown fault settings are 400 EMU-BAD-REQUEST."""
    emu = make_emulator()
    response = await emu.http.patch("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")

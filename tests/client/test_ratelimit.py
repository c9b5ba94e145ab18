"""The AIMD pacer: even spacing under a cap, one cut per overload, a slow climb back, Retry-After pauses."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from sakari_client.ratelimit import DECREASE_FACTOR as CUT
from sakari_client.ratelimit import HARD_DECREASE_FACTOR as HARD_CUT
from sakari_client.ratelimit import AdaptivePacer


class FakeTime:
    """A clock that moves only when someone sleeps on it (one sender at a time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.overshoot = 0.0  # the next sleep wakes this much late (a busy event loop)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds + self.overshoot
        self.overshoot = 0.0


def pacer(t: FakeTime, rate_limit: float | None = None, **kwargs: Any) -> AdaptivePacer:
    return AdaptivePacer(rate_limit, clock=t.clock, sleep=t.sleep, **kwargs)


async def send(p: AdaptivePacer) -> float:
    async with p.slot() as ticket:
        return ticket


async def test_without_cap_or_429_nothing_is_slowed() -> None:
    """With no cap and no 429, the pacer never sleeps and has no rate."""
    t = FakeTime()
    p = pacer(t)
    for _ in range(1000):
        await send(p)
    assert t.slept == []
    assert p.current_rate is None


async def test_cap_spaces_requests_evenly() -> None:
    """A cap of 10/s spaces sends exactly 100 ms apart."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    tickets = [await send(p) for _ in range(11)]
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(tickets)}
    assert gaps == {0.1}
    assert p.current_rate == 10.0


async def test_a_late_wake_up_keeps_the_schedule_but_an_idle_spell_banks_no_burst() -> None:
    """Woken 150 ms late, the pacer makes up the missed interval; after 10 s idle it starts afresh."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    start = await send(p)
    t.overshoot = 0.15
    assert await send(p) == pytest.approx(start + 0.25)  # due at +0.1, woke at +0.25
    assert await send(p) == pytest.approx(start + 0.25)  # the +0.2 turn, made up at once
    assert await send(p) == pytest.approx(start + 0.3)  # back on the schedule
    t.now += 10.0
    idle = await send(p)
    assert await send(p) == pytest.approx(idle + 0.1)


async def test_429_cuts_the_rate_multiplicatively() -> None:
    """A 429 multiplies the rate by the decrease factor."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    ticket = await send(p)
    p.record_rate_limited(ticket, retry_after=None)
    assert p.current_rate == pytest.approx(10 * CUT)


async def test_429s_from_requests_sent_before_a_cut_do_not_cut_again() -> None:
    """Answers in flight report the overload already acted on; reacting to each would collapse the rate."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    in_flight = [await send(p) for _ in range(5)]
    for ticket in in_flight:
        p.record_rate_limited(ticket, retry_after=None)
    assert p.current_rate == pytest.approx(10 * CUT)
    p.record_success(await send(p))
    later = await send(p)
    p.record_rate_limited(later, retry_after=None)
    assert p.current_rate == pytest.approx(10 * CUT * CUT, rel=0.02)  # one cut, not five


async def test_429_with_no_success_since_the_last_cut_cuts_harder() -> None:
    """A second 429 with no success since the first cuts by the hard factor."""
    t = FakeTime()
    p = pacer(t, rate_limit=100.0)
    p.record_rate_limited(await send(p), retry_after=None)
    p.record_rate_limited(await send(p), retry_after=None)
    assert p.current_rate == pytest.approx(100 * CUT * HARD_CUT)


async def test_successes_climb_additively_and_never_above_the_cap() -> None:
    """Successes add 5 % of the cut rate per second, up to the cap and no further."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    p.record_rate_limited(await send(p), retry_after=None)  # 10 -> 8
    for _ in range(8):  # about one second of successes at 8/s
        p.record_success(await send(p))
    # step is 5 % of the rate at the cut (10) per second: +0.5/s after ~1 s
    assert p.current_rate == pytest.approx(10 * CUT + 0.5, abs=0.05)
    for _ in range(2000):
        p.record_success(await send(p))
    assert p.current_rate == 10.0


async def test_successes_for_requests_sent_before_a_cut_do_not_raise_the_rate() -> None:
    """A success for a request sent before the cut does not undo the cut."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0)
    early = await send(p)
    p.record_rate_limited(await send(p), retry_after=None)
    p.record_success(early)
    assert p.current_rate == pytest.approx(10 * CUT)


async def test_a_cut_never_goes_below_the_rate_the_server_just_accepted() -> None:
    """Hard cuts stop at CUT x the last second's successes: the server has shown it takes that many."""
    t = FakeTime()
    p = pacer(t, rate_limit=100.0)
    for _ in range(50):  # 50 successes within the last second
        p.record_success(await send(p))
    for _ in range(5):
        p.record_rate_limited(await send(p), retry_after=None)
    assert p.current_rate == pytest.approx(CUT * 50)


async def test_first_429_without_a_rate_starts_from_the_measured_send_rate() -> None:
    """With no rate yet, the first cut starts from the send rate measured over the last second."""
    t = FakeTime()
    p = pacer(t)
    for _ in range(100):  # 100 requests in 0.5 s: 200/s
        await send(p)
        t.now += 0.005
    p.record_rate_limited(t.now - 0.001, retry_after=None)
    assert p.current_rate == pytest.approx(CUT * 200, rel=0.05)


async def test_initial_rate_is_where_pacing_starts_and_is_bounded_by_the_cap() -> None:
    """`initial_rate` starts the pacer, bounded by the cap."""
    t = FakeTime()
    assert pacer(t, initial_rate=25.0).current_rate == 25.0
    assert pacer(t, rate_limit=10.0, initial_rate=25.0).current_rate == 10.0
    assert pacer(t, rate_limit=10.0, initial_rate=4.0).current_rate == 4.0


async def test_rate_never_falls_below_min_rate() -> None:
    """No run of 429s takes the rate below `min_rate`."""
    t = FakeTime()
    p = pacer(t, rate_limit=1.0, min_rate=0.5)
    for _ in range(10):
        p.record_rate_limited(await send(p), retry_after=None)
    assert p.current_rate == 0.5


async def test_retry_after_pauses_every_new_send() -> None:
    """`Retry-After: 3` holds every new send for three seconds."""
    t = FakeTime()
    p = pacer(t)
    ticket = await send(p)
    p.record_rate_limited(ticket, retry_after=3.0)
    paused_at = t.now
    assert await send(p) >= paused_at + 3.0


async def test_retry_after_pause_is_capped() -> None:
    """A day-long `Retry-After` pauses only `max_pause`."""
    t = FakeTime()
    p = pacer(t, max_pause=10.0)
    p.record_rate_limited(await send(p), retry_after=86_400.0)
    start = t.now
    assert await send(p) - start == pytest.approx(10.0)


async def test_fixed_mode_does_not_adapt_but_still_honours_retry_after() -> None:
    """With `adaptive=False` the rate stays put, but `Retry-After` still pauses."""
    t = FakeTime()
    p = pacer(t, rate_limit=10.0, adaptive=False)
    p.record_rate_limited(await send(p), retry_after=2.0)
    assert p.current_rate == 10.0
    start = t.now
    assert await send(p) - start >= 2.0


async def test_max_in_flight_bounds_concurrent_slots() -> None:
    """No more than `max_in_flight` requests hold a slot at once."""
    p = AdaptivePacer(max_in_flight=3)
    running = peak = 0

    async def work() -> None:
        nonlocal running, peak
        async with p.slot():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(work() for _ in range(20)))
    assert peak == 3


@pytest.mark.parametrize("bad", [{"rate_limit": 0.0}, {"initial_rate": -1.0}, {"max_in_flight": 0}])
def test_nonsense_settings_are_refused(bad: dict[str, Any]) -> None:
    """Zero or negative rates and no slots are refused at construction."""
    with pytest.raises(ValueError, match="must be"):
        AdaptivePacer(**bad)


class TokenBucket:
    """A server-side limit like Sakari's (and the emulator's): `rate` per second, `burst` at most."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now

    def admit(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@pytest.mark.parametrize("limit", [10.0, 50.0, 400.0])
async def test_aimd_finds_an_unknown_limit_with_few_429s(limit: float) -> None:
    """Simulated: a client told nothing keeps 429s under 5 % and uses most of the server's rate."""
    t = FakeTime()
    p = pacer(t)
    server = TokenBucket(limit, burst=10, now=t.now)
    start = t.now
    successes = rejected = 0
    # Without a cap the first requests go as fast as the client can: model that as 1 ms apart.
    while successes < limit * 40:
        ticket = await send(p)
        if server.admit(t.now):
            successes += 1
            p.record_success(ticket)
        else:
            rejected += 1
            p.record_rate_limited(ticket, retry_after=None)
        t.now += 0.001
    elapsed = t.now - start
    print(f"limit {limit}: {rejected} rejected, {successes / elapsed:.1f}/s")
    assert rejected / (successes + rejected) < 0.05
    assert successes / elapsed > 0.8 * limit

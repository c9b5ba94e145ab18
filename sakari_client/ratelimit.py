"""Client-side pacing: a cap on requests per second that learns Sakari's limit from its 429s.

Sakari rate-limits calls but publishes no numbers and may send no `Retry-After`, so the client finds
the limit itself, the way TCP finds a link's capacity (AIMD):

- **Pacing.** Requests leave at most one per `1 / rate` seconds, evenly spaced. With no cap, no
  `initial_rate` and no 429 seen yet there is no rate: nothing is slowed down. A send that waited
  for its turn and woke late (the event loop or the machine was busy) keeps the schedule, making
  up at most `CATCH_UP` (2) intervals; otherwise every late wake-up would lower the pace for good
  (measured: 0.79–0.89 of a known limit on a loaded 2-core machine, 0.94–0.96 with the catch-up).
  After an idle spell the schedule restarts from now: idling banks no burst.
- **Multiplicative decrease.** A 429 multiplies the rate by `decrease_factor` (0.8), or by
  `hard_decrease_factor` (0.5) when not one request has succeeded since the previous cut: far above
  the limit, the rate comes down in a few steps. With no rate yet, it starts from the send rate
  measured over the last second. A cut never goes below `decrease_factor` times the successes of the
  last second: the server has just shown it takes that many. Only a 429 for a request sent *after* the
  previous cut counts: the other answers in flight report the overload already acted on, and
  reacting to each would collapse the rate. Why 0.8 and not TCP's 0.5 or CUBIC's 0.7: the rate
  saws between the cut and the limit, so the mean is about (1 + factor) / 2 of it; against a
  token bucket of 37/s (burst 10), simulated with the real pacer, 0.7 kept 0.91–0.93 of the limit
  with 0.8 % of answers 429, 0.8 kept 0.96 with 0.9 %, 0.85 kept 0.97 but with 2 %.
- **Additive increase.** Each success for a request sent at the current rate adds `step / rate`, so
  while requests flow the rate climbs by `step` requests/s every second, where `step` is
  `increase_fraction` (5 %) of the rate at the last decrease: the climb back from the cut takes about
  four seconds whatever the scale. The rate never exceeds `rate_limit`, and never falls below
  `min_rate`. (A slower climb near the rate of the last cut, to probe past the limit gently, halved
  the 429s in simulation but left a real 100k-row run at 0.38 of an unknown 37/s limit: a cut at a
  low rate made the slow zone start far below the limit. Not kept.)
- **Retry-After.** When an answer names a pause, no new request is sent until it has passed
  (capped at `max_pause`). Without one, the rate cut is the back-off; the failed request itself
  waits out the retry layer's exponential back-off. Each 429 with `Retry-After: 1` costs a second of
  sending: simulated against a 37/s bucket (burst 10) for two minutes, the pacer kept 0.79 of the
  limit with such pauses and 0.997 without `Retry-After`.
- **In flight.** At most `max_in_flight` requests hold a slot at once (an `asyncio.Semaphore`),
  counting those waiting for their turn to send.

`initial_rate` starts the pacer at a rate learned in an earlier run (`current_rate`), skipping the
first burst of 429s.

Why not a library: aiolimiter's leaky bucket cannot change its rate once built, and no maintained
Python library paces requests with AIMD; the logic is a few dozen lines, kept here with its tests.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

logger = logging.getLogger(__name__)

_WINDOW = 1.0  # seconds of history behind the measured send and success rates
DECREASE_FACTOR = 0.8  # a 429 multiplies the rate by this...
HARD_DECREASE_FACTOR = 0.5  # ...or by this when nothing has succeeded since the previous cut
INCREASE_FRACTION = 0.05  # each second of successes adds this share of the rate at the last cut
CATCH_UP = 2  # intervals a late send may make up, so the scheduler's lateness does not lower the pace


class AdaptivePacer:
    """Paces requests under a rate that adapts to 429 answers (see the module docstring)."""

    def __init__(
        self,
        rate_limit: float | None = None,
        *,
        initial_rate: float | None = None,
        adaptive: bool = True,
        max_in_flight: int = 16,
        decrease_factor: float = DECREASE_FACTOR,
        hard_decrease_factor: float = HARD_DECREASE_FACTOR,
        increase_fraction: float = INCREASE_FRACTION,
        min_rate: float = 0.5,
        max_pause: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        for name, value in (("rate_limit", rate_limit), ("initial_rate", initial_rate)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of requests per second")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if not 0 < hard_decrease_factor <= decrease_factor < 1:
            raise ValueError("decrease factors must be between 0 and 1, the hard one no greater")
        self._cap = rate_limit
        self._adaptive = adaptive
        self._decrease_factor = decrease_factor
        self._hard_decrease_factor = hard_decrease_factor
        self._increase_fraction = increase_fraction
        self._min_rate = min(min_rate, rate_limit) if rate_limit else min_rate
        self._max_pause = max_pause
        self._clock = clock
        self._sleep = sleep
        self._in_flight = asyncio.Semaphore(max_in_flight)
        start = initial_rate if initial_rate is not None else rate_limit
        self._rate: float | None = min(start, rate_limit) if start and rate_limit else start
        self._ceiling = self._rate or 0.0
        self._next_send = -math.inf
        self._paused_until = -math.inf
        self._last_decrease = -math.inf
        self._succeeded_since_cut = True
        self._first_send: float | None = None
        self._recent_sends: deque[float] = deque()
        self._recent_successes: deque[float] = deque()

    @property
    def current_rate(self) -> float | None:
        """The pace in requests/s, or None while nothing limits it."""
        return self._rate

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold an in-flight slot and wait for a turn to send; yields the send time (a ticket)."""
        async with self._in_flight:
            yield await self._wait_turn()

    def record_success(self, sent_at: float) -> None:
        """Additive increase, for an answer to a request sent at the current rate."""
        _keep_last_window(self._recent_successes, self._clock())
        if not self._adaptive or self._rate is None or sent_at <= self._last_decrease:
            return
        self._succeeded_since_cut = True
        step = self._increase_fraction * self._ceiling
        self._rate = min(self._rate + step / self._rate, self._cap or math.inf)

    def record_rate_limited(self, sent_at: float, retry_after: float | None) -> None:
        """Honour `Retry-After`, then decrease once per overload (see the module docstring)."""
        now = self._clock()
        if retry_after is not None:
            self._paused_until = max(self._paused_until, now + min(retry_after, self._max_pause))
        if not self._adaptive or sent_at <= self._last_decrease:
            return
        current = self._rate if self._rate is not None else self._measured_rate(now)
        factor = self._decrease_factor if self._succeeded_since_cut else self._hard_decrease_factor
        _keep_last_window(self._recent_successes, now, append=False)
        accepted = len(self._recent_successes) / _WINDOW
        self._ceiling = current
        self._rate = max(self._min_rate, current * factor, accepted * self._decrease_factor)
        self._last_decrease = now
        self._succeeded_since_cut = False
        # The server's bucket is empty now: give it one new interval before the next request.
        self._next_send = max(self._next_send, now + 1.0 / self._rate)
        logger.debug("429: pacing %.1f -> %.1f requests/s", current, self._rate)

    async def _wait_turn(self) -> float:
        slept = False
        while True:
            now = self._clock()
            due = max(self._paused_until, self._next_send if self._rate is not None else now)
            if due <= now:
                break
            # Re-read after sleeping: the rate or a pause may have changed meanwhile.
            await self._sleep(due - now)
            slept = True
        if self._rate is not None:
            self._next_send = _planned(due, now, 1.0 / self._rate, slept=slept) + 1.0 / self._rate
        self._note_send(now)
        return now

    def _note_send(self, now: float) -> None:
        if self._first_send is None:
            self._first_send = now
        _keep_last_window(self._recent_sends, now)

    def _measured_rate(self, now: float) -> float:
        """Requests/s sent over the last second (or since the first send, if more recent)."""
        since_first = now - self._first_send if self._first_send is not None else 0.0
        window = max(min(_WINDOW, since_first), 0.01)
        return max(self._min_rate, sum(1 for t in self._recent_sends if t >= now - window) / window)


def _planned(due: float, now: float, interval: float, *, slept: bool) -> float:
    """When the send that leaves at `now` (its turn was `due`) counts as sent, for the schedule."""
    if slept:
        # Woken late (a busy event loop or machine): keep the schedule, making up at most CATCH_UP
        # intervals, or every late wake-up would lower the pace for good.
        return max(due, now - CATCH_UP * interval)
    # Found its turn free: keep the schedule when just late, else start from now (after an idle
    # spell), so that idling banks no burst.
    return due if now - due < interval else now


def _keep_last_window(times: deque[float], now: float, *, append: bool = True) -> None:
    """Record `now` (unless `append` is false) and forget times older than the window."""
    if append:
        times.append(now)
    while times and times[0] < now - _WINDOW:
        times.popleft()

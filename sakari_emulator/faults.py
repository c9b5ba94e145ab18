"""Fault injection: rate limits, 429 windows, latency, 500/503 answers and connections dropped after commit.

`FaultPlan` holds the current fault settings (changeable at runtime) and makes every random choice
from one generator, seeded by `EmulatorConfig.seed`. It decides; the routes and the middleware act.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from .config import EmulatorConfig, check_faults
from .exceptions import InjectedFaultError, RateLimitExceededError


class ConnectionDroppedError(httpx.RemoteProtocolError):
    """Raised after a write committed, to make the server close the connection before the answer.

    Over real HTTP, uvicorn closes the socket (its log line is filtered out) and the client sees a
    transport error. In-process (httpx.ASGITransport) this exception reaches the caller itself; it is
    an `httpx.RemoteProtocolError`, so a client handles both the same way.
    """


class DroppedConnectionLogFilter(logging.Filter):
    """Hides uvicorn's "Exception in ASGI application" record for a deliberate drop (and only that)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDroppedError)


def install_log_filter() -> None:
    """Attach the drop filter to uvicorn's error logger once per process."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DroppedConnectionLogFilter) for f in logger.filters):
        logger.addFilter(DroppedConnectionLogFilter())


@dataclass(frozen=True)
class FaultSettings:
    """The fault fields of `EmulatorConfig`, validated."""

    rate_limit: float | None
    burst: int
    retry_after: bool
    token_ttl: float
    latency: float
    latency_jitter: float
    error_rate: float
    drop_rate: float
    throttle_burst_every: float
    throttle_burst_length: float

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> FaultSettings:
        return cls(**check_faults(values))


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class FaultPlan:
    """The current fault settings plus the state they need (token buckets, the random generator)."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # tests pass their own, to check windows and buckets without waiting
        self._lock = threading.Lock()
        self._seed = config.seed
        self._random = random.Random(config.seed)
        self._settings = FaultSettings.from_values(config.faults())
        self._buckets: dict[str, _Bucket] = {}
        self._epoch = self._clock()

    def restart(self) -> None:
        """Back to the start: full buckets, 429 windows counted from now, the random sequence reseeded."""
        with self._lock:
            self._random = random.Random(self._seed)
            self._buckets.clear()
            self._epoch = self._clock()

    def settings(self) -> dict[str, Any]:
        """A copy of the current fault settings."""
        return asdict(self._settings)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply validated changes (ValueError if invalid); restarts buckets and 429 windows."""
        with self._lock:
            self._settings = FaultSettings.from_values({**asdict(self._settings), **changes})
            self._buckets.clear()
            self._epoch = self._clock()
            return asdict(self._settings)

    @property
    def token_ttl(self) -> float:
        return self._settings.token_ttl

    @property
    def retry_after(self) -> bool:
        """Whether 429 answers carry `Retry-After`."""
        return self._settings.retry_after

    def delay(self) -> float:
        """Seconds to wait before answering: uniform in latency ± jitter, never below 0."""
        latency, jitter = self._settings.latency, self._settings.latency_jitter
        if not latency and not jitter:
            return 0.0
        with self._lock:
            return max(0.0, latency + self._random.uniform(-jitter, jitter))

    def admit(self, account_id: str) -> None:
        """Raise 429 inside a throttle window or when the account's bucket is empty; else 500/503 or pass."""
        with self._lock:
            now = self._clock()
            wait = self._window_wait(now)
            if wait is None:
                wait = self._bucket_wait(account_id, now)
            if wait is not None:
                retry = max(1, math.ceil(wait)) if self._settings.retry_after else None
                raise RateLimitExceededError(retry)
        self.inject_error()

    def inject_error(self) -> None:
        """Raise a 500 or 503 for a share `error_rate` of calls."""
        rate = self._settings.error_rate
        if rate:
            with self._lock:
                hit = self._random.random() < rate
                status = self._random.choice((500, 503))
            if hit:
                raise InjectedFaultError(status)

    def should_drop(self) -> bool:
        """True for a share `drop_rate` of writes: answer nothing once the write has committed."""
        rate = self._settings.drop_rate
        if not rate:
            return False
        with self._lock:
            return self._random.random() < rate

    def _window_wait(self, now: float) -> float | None:
        # Windows sit at the end of each period, so a fresh emulator starts with a quiet stretch.
        every, length = self._settings.throttle_burst_every, self._settings.throttle_burst_length
        if not every or not length:
            return None
        phase = (now - self._epoch) % every
        return every - phase if phase >= every - length else None

    def _bucket_wait(self, account_id: str, now: float) -> float | None:
        rate = self._settings.rate_limit
        if rate is None:
            return None
        burst = float(self._settings.burst)
        bucket = self._buckets.setdefault(account_id, _Bucket(burst, now))
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate

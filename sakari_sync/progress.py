"""Progress of a run, stage by stage, for whoever watches it in this process.

The stages publish a `StageProgress` after each page or batch; listeners turn it into what their
audience reads: the flow's Logs tab and progress artifact (`sakari_sync.tasks.report`), and the
command line's live display or periodic lines (`sakari_sync.app.console`). A listener that raises is
dropped, never the run. Nothing here knows Prefect or a terminal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

log = logging.getLogger(__name__)

STAGES = ("extract", "load", "reconcile")
"""Stages in the order a run goes through them (transform and staging count with extract)."""


@dataclass(frozen=True)
class StageProgress:
    """Where one stage stands: `done` of `total` `unit`s (total None while unknown), since `started`
    (monotonic seconds), with counts by kind (created, updated, rejected, 429s, ...)."""

    stage: str
    done: int
    total: int | None
    unit: str
    started: float
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    finished: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds since the stage started."""
        return max(self.at - self.started, 0.0)

    @property
    def rate(self) -> float | None:
        """Units per second so far (None in the first instant)."""
        return self.done / self.elapsed if self.elapsed > 0.05 and self.done else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far, when the total is known."""
        rate = self.rate
        if self.total is None or rate is None or self.finished:
            return None
        return max(self.total - self.done, 0) / rate

    @property
    def share(self) -> float | None:
        """Done over total, 0..1, when the total is known."""
        if self.total is None:
            return None
        return 1.0 if self.total == 0 else min(self.done / self.total, 1.0)


Listener = Callable[[StageProgress], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call `listener` with every progress from now on; returns the function that unsubscribes it."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


def publish(progress: StageProgress) -> None:
    """Hand `progress` to every listener (a failing listener is logged and dropped)."""
    for listener in list(_listeners):
        try:
            listener(progress)
        except Exception:
            log.debug("a progress listener failed; dropping it", exc_info=True)
            if listener in _listeners:
                _listeners.remove(listener)

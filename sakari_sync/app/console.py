"""A run's progress on the command line, from the stages' `StageProgress` events (sakari_sync.progress).

On a terminal: a live table, one row per stage (bar, done of total, rate, ETA or time taken, counts
such as created, rejected and 429s), left on screen when the run ends. Elsewhere (CI logs, cron
mail, a pipe): one plain line per stage every few seconds and one when the stage ends, e.g.

    load: 1,500 of 20,000 contacts (7%), 48.2/s, ETA 6m25s; created 1,400, updated 90, 429s 3
    load done: 20,000 contacts in 7m02s, 47.4/s; created 18,020, updated 1,900, rejected 80

Both go to stderr, so stdout keeps the report (or the one JSON object of `--json`). A run that
publishes no progress at all shows the live table's "starting" line, or nothing in plain lines.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from sakari_sync.progress import StageProgress, subscribe

Mode = Literal["auto", "live", "lines", "off"]
MODES: tuple[Mode, ...] = ("auto", "live", "lines", "off")
INTERVAL = 5.0  # seconds between two plain lines of one stage


def choose_mode(requested: Mode, stream: TextIO, *, debug: bool = False) -> Mode:
    """`auto`: live on a terminal, plain lines elsewhere or with debug lines (which would tear a live
    display apart); any other mode as asked."""
    if requested != "auto":
        return requested
    return "live" if stream.isatty() and not debug else "lines"


def format_duration(seconds: float) -> str:
    """`42s`, `6m25s`, `2h05m`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def format_rate(rate: float | None) -> str:
    """`48.2/s`, `1,250/s`, or empty when there is no rate yet."""
    if rate is None:
        return ""
    return f"{rate:,.1f}/s" if rate < 100 else f"{rate:,.0f}/s"


def format_counts(progress: StageProgress) -> str:
    """The stage's counts that are not zero: `created 1,400, updated 90, 429s 3`."""
    return ", ".join(f"{kind} {n:,}" for kind, n in progress.counts.items() if n)


def format_line(progress: StageProgress) -> str:
    """One plain line for where a stage stands (see the module docstring)."""
    p = progress
    of_total = p.total is not None and not (p.finished and p.done == p.total)
    amount = f"{p.done:,} of {p.total:,} {p.unit}" if of_total else f"{p.done:,} {p.unit}"
    parts = [amount]
    if p.finished:
        head = f"{p.stage} done: {amount} in {format_duration(p.elapsed)}"
        parts = [head] + ([format_rate(p.rate)] if p.rate else [])
    else:
        if p.share is not None:
            parts[0] += f" ({p.share:.0%})"
        parts += [
            x for x in (format_rate(p.rate), p.eta is not None and f"ETA {format_duration(p.eta)}") if x
        ]
        parts[0] = f"{p.stage}: {parts[0]}"
    counts = format_counts(p)
    return ", ".join(str(x) for x in parts) + (f"; {counts}" if counts else "")


class LineView:
    """Plain lines: a stage's line every `interval` seconds of its progress, and one at its end."""

    def __init__(
        self, stream: TextIO, interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream, self.interval, self.clock = stream, interval, clock
        self._printed: dict[str, float] = {}
        self._lock = threading.Lock()

    def update(self, progress: StageProgress) -> None:
        """Print a line if the stage ended or has been quiet for `interval` seconds."""
        with self._lock:
            now = self.clock()
            last = self._printed.get(progress.stage, progress.started)
            if progress.finished or now - last >= self.interval:
                self._printed[progress.stage] = now
                print(format_line(progress), file=self.stream, flush=True)

    def __enter__(self) -> LineView:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LiveView:
    """A live table on a terminal, redrawn a few times a second and left on screen at the end."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = Console(file=stream, markup=False, highlight=False)
        self.clock = clock
        self._stages: dict[str, StageProgress] = {}
        self._lock = threading.Lock()
        self._started = clock()
        # Lines printed to stderr (or to stdout on the same terminal) while the table is live are
        # shown above it; stdout is left alone when it is a file or a pipe (the report goes there).
        self._live = Live(
            self,
            console=self.console,
            refresh_per_second=4,
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=stream is sys.stderr,
        )
        self._borrowed: list[tuple[logging.Handler, Console]] = []
        self._stopping = False

    def update(self, progress: StageProgress) -> None:
        """Keep the latest progress of each stage; the next redraw shows it."""
        with self._lock:
            self._stages[progress.stage] = progress

    def __rich__(self) -> RenderableType:
        with self._lock:
            stages = list(self._stages.values())
        if not stages and self._stopping:
            return Text("")  # no stage ever reported: leave nothing behind
        if not stages:
            return Spinner("dots", f"starting the run ({format_duration(self.clock() - self._started)})")
        table = Table.grid(padding=(0, 2))
        for p in stages:
            table.add_row(*self._row(p))
        return table

    def _row(self, p: StageProgress) -> list[RenderableType]:
        if p.finished:
            bar, when = ProgressBar(total=1, completed=1, width=24), f"in {format_duration(p.elapsed)}"
        else:
            bar = ProgressBar(total=p.total or None, completed=p.done, width=24)
            when = f"ETA {format_duration(p.eta)}" if p.eta is not None else format_duration(p.elapsed)
        of_total = p.total is not None and not (p.finished and p.done == p.total)
        amount = f"{p.done:,}/{p.total:,} {p.unit}" if of_total else f"{p.done:,} {p.unit}"
        return [Text(p.stage, style="bold"), bar, amount, format_rate(p.rate), when, format_counts(p)]

    def __enter__(self) -> LiveView:
        self._live.start()
        self._borrow_log_consoles()
        return self

    def __exit__(self, *exc: object) -> None:
        for handler, console in self._borrowed:
            handler.console = console  # type: ignore[attr-defined]  # a PrefectConsoleHandler's
        self._borrowed.clear()
        self._stopping = True
        self._live.stop()

    def _borrow_log_consoles(self) -> None:
        # Prefect's console handler prints through a rich Console of its own: while the table is
        # live, it prints through this one instead, so a warning lands above the table, not inside it.
        for handler in logging.getLogger().handlers:
            console = getattr(handler, "console", None)
            if isinstance(console, Console) and console.file is self.console.file:
                self._borrowed.append((handler, console))
                handler.console = self.console  # type: ignore[attr-defined]


@contextmanager
def show_progress(
    mode: Mode = "auto", *, stream: TextIO | None = None, debug: bool = False, interval: float = INTERVAL
) -> Iterator[None]:
    """Show the stages' progress on `stream` (stderr) while the block runs."""
    out = stream or sys.stderr
    chosen = choose_mode(mode, out, debug=debug)
    if chosen == "off":
        yield
        return
    view: LineView | LiveView = LiveView(out) if chosen == "live" else LineView(out, interval)
    unsubscribe = subscribe(view.update)
    try:
        with view:
            yield
    finally:
        unsubscribe()

"""The run's progress on the command line: what a line says, when lines are printed, and the live
table on a terminal; driven by `StageProgress` events published as the stages will publish them."""

from __future__ import annotations

import io
import logging
import time
from types import MappingProxyType
from typing import Any

import pytest
from rich.console import Console

from sakari_sync.app.console import (
    LineView,
    LiveView,
    choose_mode,
    format_duration,
    format_line,
    show_progress,
)
from sakari_sync.progress import StageProgress, publish


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def progress(
    stage: str = "load", done: int = 1500, total: int | None = 20_000, /, **kw: Any
) -> StageProgress:
    """A stage 31 s in (unless `started`/`at` say otherwise), with the counts given as keywords."""
    now = time.monotonic()
    counts = {k: v for k, v in kw.items() if k not in ("started", "at", "finished", "unit")}
    return StageProgress(
        stage=stage,
        done=done,
        total=total,
        unit=kw.get("unit", "contacts"),
        started=kw.get("started", now - 31),
        counts=MappingProxyType(counts),
        finished=kw.get("finished", False),
        at=kw.get("at", now),
    )


def test_a_line_tells_counts_rate_and_eta() -> None:
    """Done of total with its share, the rate, the time left, and the counts that are not zero."""
    line = format_line(progress(created=1400, updated=90, rejected=0, **{"429s": 3}))
    assert line == "load: 1,500 of 20,000 contacts (8%), 48.4/s, ETA 6m22s; created 1,400, updated 90, 429s 3"


def test_a_stage_end_tells_the_total_and_time_taken() -> None:
    """At a stage's end: everything done, how long it took and the rate."""
    t0 = time.monotonic()
    line = format_line(
        progress("load", 20_000, 20_000, finished=True, started=t0, at=t0 + 422, created=20_000)
    )
    assert line == "load done: 20,000 contacts in 7m02s, 47.4/s; created 20,000"


def test_a_stage_without_a_total_tells_what_it_has_read() -> None:
    """Extract does not know the row count in advance: rows so far and the rate, no share, no ETA."""
    t0 = time.monotonic()
    assert format_line(progress("extract", 5000, None, unit="rows", started=t0, at=t0 + 2)) == (
        "extract: 5,000 rows, 2,500/s"
    )


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (42, "42s"), (385, "6m25s"), (7500, "2h05m")])
def test_durations_read_like_a_clock(seconds: float, text: str) -> None:
    """Seconds, minutes and seconds, or hours and minutes."""
    assert format_duration(seconds) == text


def test_plain_lines_come_every_interval_and_at_each_stage_end() -> None:
    """A stage's line every 5 s of its progress (not one per event), and one when it ends."""
    clock = [100.0]
    out = io.StringIO()
    view = LineView(out, interval=5, clock=lambda: clock[0])
    for second in range(1, 13):  # an event a second, for 12 s
        clock[0] = 100.0 + second
        view.update(progress("load", second * 100, 20_000, started=100.0, at=clock[0]))
    view.update(progress("load", 1300, 1300, started=100.0, at=113.0, finished=True))
    lines = out.getvalue().splitlines()
    assert [line.split("%")[0].split(" in ")[0] for line in lines] == [
        "load: 500 of 20,000 contacts (2",
        "load: 1,000 of 20,000 contacts (5",
        "load done: 1,300 contacts",
    ]


def test_show_progress_prints_published_events_on_the_stream() -> None:
    """Subscribed while the block runs: a stage's events become lines; after it, nothing is printed."""
    out = io.StringIO()
    with show_progress("lines", stream=out):
        publish(progress("extract", 3000, None, unit="rows"))  # 31 s into the stage: a line at once
        publish(progress("extract", 3100, None, unit="rows"))  # right after: none
        publish(progress("extract", 3100, None, unit="rows", finished=True))
    publish(progress("load", 10, 10, finished=True))
    assert out.getvalue().splitlines() == [
        "extract: 3,000 rows, 96.8/s",
        "extract done: 3,100 rows in 31s, 100/s",
    ]


def test_no_events_at_all_print_nothing_and_break_nothing() -> None:
    """A run whose stages publish nothing: plain lines stay silent, the live view leaves nothing behind."""
    out = io.StringIO()
    with show_progress("lines", stream=out):
        pass
    assert out.getvalue() == ""
    view = LiveView(Terminal())
    with view:
        pass
    assert str(view.__rich__()) == ""


def test_auto_is_live_on_a_terminal_and_lines_elsewhere() -> None:
    """auto: live on a terminal, lines on a pipe or file, and lines with debug lines on the console."""
    assert choose_mode("auto", Terminal()) == "live"
    assert choose_mode("auto", io.StringIO()) == "lines"
    assert choose_mode("auto", Terminal(), debug=True) == "lines"
    assert choose_mode("off", Terminal()) == "off"


def render(view: LiveView) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(view.__rich__())
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_the_live_table_has_a_row_per_stage() -> None:
    """Each stage: its bar, done of total, rate, ETA (or time taken once done) and counts."""
    t0 = time.monotonic()
    view = LiveView(Terminal())
    view.update(progress("extract", 3000, None, unit="rows", started=t0, at=t0 + 3, finished=True))
    view.update(progress(created=1400, **{"429s": 3}))
    rows = render(view).splitlines()
    assert rows[0].split() == ["extract", "━━━━━━━━━━━━━━━━━━━━━━━━", "3,000", "rows", "1,000/s", "in", "3s"]
    assert rows[1].split()[0] == "load"
    assert rows[1].split()[2:] == [
        "1,500/20,000",
        "contacts",
        "48.4/s",
        "ETA",
        "6m22s",
        "created",
        "1,400,",
        "429s",
        "3",
    ]


def test_the_live_table_shows_on_a_terminal_and_stays_at_the_end() -> None:
    """Through show_progress on a terminal: the last state of each stage is on screen after the run."""
    screen = Terminal()
    with show_progress("auto", stream=screen):
        publish(progress("load", 500, 500, finished=True, created=480, rejected=20))
    shown = " ".join(screen.getvalue().split())  # the terminal may wrap the counts
    assert "500 contacts 16.1/s in 31s created 480, rejected 20" in shown


def test_log_lines_print_above_the_live_table(caplog: pytest.LogCaptureFixture) -> None:
    """A console log handler printing through a rich Console (as Prefect's does) goes through the live
    console while the table is up, and gets its own console back afterwards."""
    screen = Terminal()

    class RichHandler(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.console = Console(file=screen)

        def emit(self, record: logging.LogRecord) -> None:
            self.console.print(record.getMessage())

    handler = RichHandler()
    own = handler.console
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with LiveView(screen) as view:
            assert handler.console is view.console
            logging.getLogger("sakari_sync.test").warning("Sakari throttled: slowing to 8/s")
        assert handler.console is own
    finally:
        root.removeHandler(handler)
    assert "Sakari throttled: slowing to 8/s" in screen.getvalue()

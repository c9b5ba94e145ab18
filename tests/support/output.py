"""Reading what `sakari-sync` prints on stderr: its progress lines (when stderr is not a terminal), the
run's own log lines (a batch Sakari refused contacts in, say), Prefect's note while it flushes logs on a
busy machine, and the rest."""

from __future__ import annotations

import re

PROGRESS = re.compile(r"(extract|load|reconcile)( done)?: [\d,]+ .*")
PREFECT_NOTE = re.compile(r".*Still processing items.*")
LOG_LINE = re.compile(r"\d\d:\d\d:\d\d \| (DEBUG|INFO|WARNING) *\| .*")


def other_lines(stderr: str) -> list[str]:
    """The stderr lines that are neither progress, the run's log lines, nor Prefect's note: errors and
    their details."""
    quiet = (PROGRESS, PREFECT_NOTE, LOG_LINE)
    return [line for line in stderr.splitlines() if not any(p.fullmatch(line) for p in quiet)]

"""Reading what `sakari-sync` prints on stderr: its progress lines (when stderr is not a terminal),
Prefect's own note while it flushes logs on a busy machine, and the rest."""

from __future__ import annotations

import re

PROGRESS = re.compile(r"(extract|load|reconcile)( done)?: [\d,]+ .*")
PREFECT_NOTE = re.compile(r".*Still processing items.*")


def other_lines(stderr: str) -> list[str]:
    """The stderr lines that are neither progress nor Prefect's note: errors and their details."""
    return [
        line for line in stderr.splitlines() if not (PROGRESS.fullmatch(line) or PREFECT_NOTE.fullmatch(line))
    ]

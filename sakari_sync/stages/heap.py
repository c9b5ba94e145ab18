"""Keep the garbage collector off the objects that outlive a flow run (`flows/sync.py` runs in
`frozen_heap`).

The load allocates tens of thousands of objects per batch (Sakari's answers, their models, the
results), and every so many of them CPython runs a full collection, which walks every object in the
process: Prefect's, pandas', SQLAlchemy's, the flow's settings. On a bulk first load of 100,000 rows
those full collections took about 2.4 s of the load's 7 s of CPU, for nothing: what they walk
outlives the run anyway.

`gc.freeze()` moves the objects alive now to a permanent generation that collections skip;
`gc.unfreeze()` hands them back when the stage ends, so whatever became garbage meanwhile is still
freed. A host that froze its own heap (a pre-fork server does) is left as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the garbage collector walks only the objects allocated in it."""
    if gc.get_freeze_count():  # frozen by someone else: theirs to undo, not ours
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

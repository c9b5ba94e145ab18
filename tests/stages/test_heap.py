"""`frozen_heap`: the collector skips what was alive before the block, and gets it back after."""

from __future__ import annotations

import gc

from sakari_sync.stages.heap import frozen_heap


def test_the_heap_is_frozen_within_the_block_and_handed_back_after() -> None:
    before: list[int] = []  # a container: tracked by the collector

    def collectable() -> bool:
        return any(o is before for o in gc.get_objects())  # every generation but the permanent one

    assert collectable()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        assert not collectable()
    assert gc.get_freeze_count() == 0
    assert collectable()


def test_it_is_handed_back_even_when_the_block_fails() -> None:
    try:
        with frozen_heap():
            raise RuntimeError("the load stopped")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def test_a_heap_someone_else_froze_stays_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

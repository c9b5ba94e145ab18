"""`frozen_heap`: the collector skips what was alive before the block, and gets it back after."""

from __future__ import annotations

import gc

from sakari_sync.stages.heap import frozen_heap


def test_the_heap_is_frozen_within_the_block_and_handed_back_after() -> None:
    """An object alive before the block is out of the collector's generations within it, back after."""
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
    """A failing block still unfreezes the heap."""
    try:
        with frozen_heap():
            raise RuntimeError("the load stopped")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def test_a_heap_someone_else_froze_stays_frozen() -> None:
    """A heap frozen before the block stays frozen after it. (Frozen objects that die meanwhile leave
    the count, so it may shrink a little; unfreezing would empty it.)"""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0.9 * frozen
    finally:
        gc.unfreeze()

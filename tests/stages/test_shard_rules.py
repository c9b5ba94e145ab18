"""Shards on their own: a stable split, and reports that add up."""

from __future__ import annotations

from sakari_sync.stages.report import SyncReport
from sakari_sync.stages.shard import combine_reports, shard_of


def test_a_value_always_lands_in_the_same_shard() -> None:
    """The shard of a mobile is stable and within range."""
    shards = [shard_of(f"+1415555{n:04d}", 4) for n in range(200)]
    assert shards == [shard_of(f"+1415555{n:04d}", 4) for n in range(200)]
    assert set(shards) == {0, 1, 2, 3}


def test_combined_reports_add_up_and_say_when_shards_differ() -> None:
    """Counts and rejects by reason add up; the slowest shard's time is the run's; differing cursors
    and modes show."""
    one = SyncReport(sync_name="c.shard-1", run_id="a", mode="full", extracted=10, created=7, cursor="x")
    one.add_rejects({"invalid_phone": 2, "sakari:CONT-001": 1})
    two = SyncReport(
        sync_name="c.shard-2", run_id="b", mode="incremental", extracted=5, unchanged=4, cursor="y"
    )
    two.add_rejects({"invalid_phone": 1})
    one.seconds, two.seconds = 3.0, 5.0
    both = combine_reports("c", [one, two])
    assert (both.extracted, both.created, both.unchanged, both.rejected) == (15, 7, 4, 4)
    assert both.rejected_by_reason == {"invalid_phone": 3, "sakari:CONT-001": 1}
    assert both.accounted() == both.extracted
    assert (both.mode, both.cursor, both.seconds, both.run_id) == ("full+incremental", None, 5.0, "a,b")

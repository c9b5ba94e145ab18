"""The in-memory lookups behind the skip of unchanged rows (`state/known.py`)."""

from __future__ import annotations

import numpy as np

from sakari_sync.state.known import CONTESTED, FIELDS, FIELDS_LEFT_OUT, NOT_FOUND, Lookup, key_hashes

HEAD = "ab" * 8


def fp(row_hash: int, *, fields: bool = False) -> str:
    return f"{HEAD}{row_hash:016x}" + (FIELDS_LEFT_OUT if fields else "")


def test_a_row_is_found_only_when_its_key_and_its_row_hash_both_match() -> None:
    """Same key and row hash: found, with the entry's value and flags; any other pair: not found."""
    lookup = Lookup.of(
        [("1", fp(10), "+14155550001", 0), ("2", fp(20, fields=True), "+14155550002", 1)], HEAD
    )
    keys = key_hashes(["1", "1", "2", "3"])
    at = lookup.find(keys, np.array([10, 11, 20, 10], dtype=np.uint64))
    assert lookup.values_at(at).tolist() == [14155550001, NOT_FOUND, 14155550002, NOT_FOUND]
    assert lookup.flags_at(at).tolist() == [0, 0, FIELDS | CONTESTED, 0]


def test_fingerprints_of_other_settings_never_match() -> None:
    """A fingerprint made under other settings (another head) is left out of the lookup."""
    lookup = Lookup.of([("1", "cd" * 8 + f"{10:016x}", 7)], HEAD)
    assert lookup.find(key_hashes(["1"]), np.array([10], dtype=np.uint64)).tolist() == [NOT_FOUND]


def test_a_key_held_several_times_finds_the_entry_with_its_row_hash() -> None:
    """A key can own two ledger rows for a while (its mobile changed), and a row several fields left
    out: each (key, row hash) still finds its own entry, across joined parts too."""
    parts = [
        Lookup.of([("9", fp(1), 101), ("9", fp(2), 102)], HEAD),
        Lookup.of([("9", fp(3), 103), ("8", fp(1), 201)], HEAD),
        Lookup.of([], HEAD),
    ]
    lookup = Lookup.join(parts)
    at = lookup.find(key_hashes(["9", "9", "9", "8", "9"]), np.array([3, 1, 2, 1, 4], dtype=np.uint64))
    assert lookup.values_at(at).tolist() == [103, 101, 102, 201, NOT_FOUND]

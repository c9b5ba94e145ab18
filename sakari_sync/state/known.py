"""What the state database already knows of a sync's source rows, for the skip of unchanged rows
(`stages/fingerprint.py`): the source key and row fingerprint of every synced contact, and the latest
run's rejects (whole rows, and fields left out) with the fingerprints of their rows.

A full read looks every row up, so the ledger and the rejects are read once, into sorted numpy arrays
of 64-bit numbers (about 30 bytes a contact: a million contacts take about 30 MB); a run that reads
few rows (an incremental one) looks its pages' keys up in the database instead. Either way a page is
compared in a few vectorised steps, and nothing is written for a row found unchanged.

Keys are held as pandas' 64-bit hash of their text, fingerprints as the 64-bit row hash they carry
(`fingerprint.row_hashes`), mobiles as the integer of their E.164 digits (exact: at most 15 digits).
A row matches only when both its key hash and its row hash equal those of an entry whose fingerprint
was made under the current settings (its head): a wrong match would take a collision of two
unrelated 64-bit hashes at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.outcomes import LedgerStatus, RejectKind
from sakari_sync.state.schema import KEPT_LOSER, ledger, opted_out, rejects, staging

KEYS_PER_LOOKUP = 5_000  # keys per `IN (...)` when a page's keys are looked up in the database
ROWS_PER_FETCH = 50_000  # rows in memory at once while the lookups are built (not the whole ledger)
NOT_FOUND = -1
HASH_DIGITS = 16  # hex digits of the row hash in a fingerprint, after the settings head
FIELDS_LEFT_OUT = "~f"
"""Ends the fingerprint of a row whose payload left an optional field out: such a row is skipped
only while the latest run's record of those fields is there to take over."""

CONTESTED = 1  # flag: other source rows shared the contact's mobile at the last de-duplication
FIELDS = 2  # flag: the fingerprint ends with FIELDS_LEFT_OUT


def key_hashes(keys: Sequence[str | None]) -> np.ndarray:
    """pandas' 64-bit hash of each key's text (callers never look a missing key up)."""
    return pd.util.hash_array(np.array([k or "" for k in keys], dtype=object), categorize=False)


def mobile_numbers(mobiles: Sequence[str]) -> np.ndarray:
    """Each E.164 mobile as the integer of its digits."""
    return np.array([int(m[1:]) for m in mobiles], dtype=np.int64)


def mobile_texts(numbers: Sequence[int]) -> list[str]:
    """The E.164 mobiles of `mobile_numbers`."""
    return [f"+{int(n)}" for n in numbers]


@dataclass(frozen=True)
class Lookup:
    """Entries sorted by (key hash, row hash), each with a value (a mobile number or a reject's id)
    and flags (`CONTESTED`, `FIELDS`)."""

    keys: np.ndarray
    prints: np.ndarray
    values: np.ndarray
    flags: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[tuple[Any, ...]], head: str) -> Lookup:
        """From (source key, fingerprint, value[, contested]) rows, the value an integer or an E.164
        mobile (kept as its number); fingerprints made under another head are left out. Built column
        by column: a full refresh builds one from every synced contact."""
        fresh = [r for r in rows if r[1].startswith(head)]
        if not fresh:
            empty = np.empty(0, dtype=np.uint64)
            return cls(empty, empty, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8))
        keys, prints, values = (list(map(itemgetter(i), fresh)) for i in range(3))
        start, end = len(head), len(head) + HASH_DIGITS
        hashes = np.frombuffer(bytes.fromhex("".join(p[start:end] for p in prints)), dtype=">u8")
        if isinstance(values[0], str):
            values = [v[1:] for v in values]  # an E.164 mobile: its digits
        flags = np.array([p.endswith(FIELDS_LEFT_OUT) for p in prints], dtype=np.int8) * FIELDS
        if len(fresh[0]) > 3:
            flags |= np.array(list(map(itemgetter(3), fresh)), dtype=np.int8) * CONTESTED
        key_hash = key_hashes(keys)
        order = np.lexsort((hashes, key_hash))
        return cls(
            key_hash[order],
            hashes.astype(np.uint64)[order],
            np.array(values, dtype=np.int64)[order],
            flags[order],
        )

    @classmethod
    def join(cls, parts: Sequence[Lookup]) -> Lookup:
        """One lookup of the entries of several."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.of([], "")
        keys = np.concatenate([p.keys for p in parts])
        prints = np.concatenate([p.prints for p in parts])
        order = np.lexsort((prints, keys))
        return cls(
            keys[order],
            prints[order],
            np.concatenate([p.values for p in parts])[order],
            np.concatenate([p.flags for p in parts])[order],
        )

    def find(self, keys: np.ndarray, prints: np.ndarray) -> np.ndarray:
        """The position of the entry equal to each (key hash, row hash), or `NOT_FOUND`."""
        found = np.full(len(keys), NOT_FOUND, dtype=np.int64)
        if not len(self.keys) or not len(keys):
            return found
        at = np.searchsorted(self.keys, keys)
        # A key hash repeats only where the ledger holds a key for two mobiles (briefly, after its
        # mobile changed) or a row left several fields out: step through such runs an entry at a time.
        for _ in range(_longest_run(self.keys)):
            todo = (found == NOT_FOUND) & (at < len(self.keys))
            todo[todo] &= self.keys[at[todo]] == keys[todo]
            if not todo.any():
                break
            hit = todo.copy()
            hit[hit] &= self.prints[at[hit]] == prints[hit]
            found[hit] = at[hit]
            at = at + 1
        return found

    def values_at(self, positions: np.ndarray) -> np.ndarray:
        """The value at each position (`NOT_FOUND` stays)."""
        return _at(self.values, positions, NOT_FOUND)

    def flags_at(self, positions: np.ndarray) -> np.ndarray:
        """The flags at each position (none where `NOT_FOUND`)."""
        return _at(self.flags, positions, 0)


def _at(values: np.ndarray, positions: np.ndarray, missing: int) -> np.ndarray:
    picked = np.full(len(positions), missing, dtype=values.dtype)
    hit = positions != NOT_FOUND
    picked[hit] = values[positions[hit]]
    return picked


def driver_rows(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[list[Any]]:
    """The rows of `query` as the driver's tuples, `ROWS_PER_FETCH` at a time. A full refresh reads a
    row per synced contact, and SQLAlchemy's result rows cost about half again as much as the read
    itself; the columns read here are plain text and numbers, which need none of its processing."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = [compiled.params[name] for name in compiled.positiontup]
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(ROWS_PER_FETCH):
            yield list(rows)
    finally:
        cursor.close()


def _longest_run(sorted_keys: np.ndarray) -> int:
    """The most times one key hash repeats in a sorted array."""
    if len(sorted_keys) < 2:
        return len(sorted_keys)
    edges = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
    return int(np.diff(edges).max())


@dataclass(frozen=True)
class Found:
    """What is known of each row of a page (`NOT_FOUND` where nothing): the mobile number of the
    synced contact it made with this fingerprint and that contact's flags; the id of the latest run's
    reject of the whole row, and of one of the fields it left out, with this fingerprint; and the
    staging id of the row as it lost the latest run's de-duplication with this fingerprint (its
    fingerprint not marked: a loser's fields left out are not kept)."""

    mobiles: np.ndarray
    flags: np.ndarray
    row_rejects: np.ndarray
    field_rejects: np.ndarray
    losers: np.ndarray  # the staging id of the row as it lost the last run's de-duplication


class KnownRows:
    """One run's view of what the state database knows: `whole` reads it all at once (a full read),
    otherwise each page's keys are looked up."""

    def __init__(self, engine: Engine, sync_name: str, run_id: str, head: str, *, whole: bool) -> None:
        self.engine, self.sync_name, self.run_id, self.head = engine, sync_name, run_id, head
        self._whole = self._lookups(None) if whole else None

    def find(self, keys: Sequence[str], hashes: np.ndarray, prints: np.ndarray) -> Found:
        """What is known of each row (key, key hash, row hash)."""
        contacts, rows, fields, losers = self._whole or self._lookups(keys)
        at, lost = contacts.find(hashes, prints), losers.find(hashes, prints)
        return Found(
            contacts.values_at(at),
            contacts.flags_at(at),
            rows.values_at(rows.find(hashes, prints)),
            fields.values_at(fields.find(hashes, prints)),
            np.where((losers.flags_at(lost) & FIELDS) != 0, NOT_FOUND, losers.values_at(lost)),
        )

    def keys_of(self, mobiles: Sequence[str]) -> list[str]:
        """The source keys the ledger holds for these mobiles."""
        keys: list[str] = []
        with self.engine.connect() as conn:
            for start in range(0, len(mobiles), KEYS_PER_LOOKUP):
                q = sa.select(ledger.c.source_key).where(
                    ledger.c.sync_name == self.sync_name,
                    ledger.c.mobile.in_(mobiles[start : start + KEYS_PER_LOOKUP]),
                )
                keys += conn.execute(q).scalars().all()
        return keys

    def _lookups(self, keys: Sequence[str] | None) -> tuple[Lookup, Lookup, Lookup, Lookup]:
        """(contacts, rejected rows, fields left out, losers), of every key or of `keys`."""
        rows, fields = [], []
        for found in self._read(self._rejects(), keys):
            rows.append(
                Lookup.of([(k, p, i) for k, p, i, kind in found if kind == RejectKind.ROW], self.head)
            )
            fields.append(
                Lookup.of([(k, p, i) for k, p, i, kind in found if kind == RejectKind.FIELD], self.head)
            )
        return (
            Lookup.join([Lookup.of(found, self.head) for found in self._read(self._contacts(), keys)]),
            Lookup.join(rows),
            Lookup.join(fields),
            Lookup.join([Lookup.of(found, self.head) for found in self._read(self._losers(), keys)]),
        )

    def _read(self, query: sa.Select[Any], keys: Sequence[str] | None) -> Iterator[list[Any]]:
        """The rows of `query` (for `keys` only, unless None), a fetch at a time."""
        source_key = query.selected_columns[0]
        with self.engine.connect() as conn:
            if keys is None:
                yield from driver_rows(conn, query)
                return
            for start in range(0, len(keys), KEYS_PER_LOOKUP):
                yield from driver_rows(
                    conn, query.where(source_key.in_(keys[start : start + KEYS_PER_LOOKUP]))
                )

    def _contacts(self) -> sa.Select[Any]:
        """Contacts Sakari holds with the payload of a fingerprinted row, not opted out."""
        return sa.select(
            ledger.c.source_key,
            ledger.c.source_fingerprint,
            ledger.c.mobile,
            ledger.c.cursor_sort.is_not(None),
        ).where(
            ledger.c.sync_name == self.sync_name,
            ledger.c.status == str(LedgerStatus.SYNCED),
            # Only an accepted payload's row gets a fingerprint, so its hash is there too; the index
            # `ix_sakari_ledger_known` covers every column named here.
            ledger.c.source_fingerprint.is_not(None),
            ~opted_out(self.sync_name, ledger.c.mobile),
        )

    def _losers(self) -> sa.Select[Any]:
        """Rows that lost the latest run's de-duplication (kept staged until this run's are)."""
        return sa.select(staging.c.source_key, staging.c.source_fingerprint, staging.c.id).where(
            staging.c.sync_name == self.sync_name,
            staging.c.run_id != self.run_id,
            KEPT_LOSER,
        )

    def _rejects(self) -> sa.Select[Any]:
        """Rows (or fields) an earlier run's transform rejected (the latest run's: others are dropped)."""
        return sa.select(
            rejects.c.source_key, rejects.c.source_fingerprint, rejects.c.id, rejects.c.kind
        ).where(
            rejects.c.sync_name == self.sync_name,
            rejects.c.run_id != self.run_id,
            rejects.c.kind.in_([str(RejectKind.ROW), str(RejectKind.FIELD)]),
            rejects.c.source_fingerprint.is_not(None),
        )

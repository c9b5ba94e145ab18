"""What decides a row's payload, fingerprinted, so that a row whose payload cannot have changed skips
the transform.

- The **settings fingerprint** covers the settings that shape payloads (`payload_settings`), the
  payload format of this release and the phone metadata's version: when it changes, every row is read
  again and transformed (the ledger still sends only payloads that changed).
- A **row fingerprint** covers the values of the columns the mapping reads (`MappingConfig.columns`),
  prefixed with the settings fingerprint. The ledger keeps the row fingerprint of every payload Sakari
  accepted. A row whose fingerprint equals its key's, for a contact still synced and not opted out, is
  counted unchanged with no phone parsing, payload or JSON, and nothing is written for it
  (`Skipper.split`, comparing the page in memory with `state.known.KnownRows`). Two kinds of such rows
  leave a trace: a row whose payload left an optional field out (its fingerprint is marked) has the
  latest run's record of those fields taken over, and is transformed when that record is missing; a
  row whose mobile other rows shared at the last de-duplication is staged as the ledger holds it, so
  that the rule compares the rows' cursors again. A row the last run rejected with the same
  fingerprint has its reject taken over. Anything else (a changed value, a pending or refused
  contact, new settings) goes through the whole transform, and so do unchanged rows whose mobile a
  transformed row turns out to share (`Skipper.shared_mobiles`).

The row hash is pandas' (`hash_pandas_object`, 64 bits per row, by value and column order). Values
are hashed by type where the type could matter to the payload: a column whose cells are not all text
(or all integers, or all floats) is hashed from each cell's type and repr, so `1` and `"1"` differ.
Every imprecision errs the safe way: a value whose hash changes without its payload changing is only
transformed again.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers

from sakari_sync.config import SyncParameters
from sakari_sync.stages.transform import TransformResult
from sakari_sync.stages.values import cursor_columns, key_texts
from sakari_sync.state.carry import Carried
from sakari_sync.state.known import (
    CONTESTED,
    FIELDS,
    FIELDS_LEFT_OUT,
    NOT_FOUND,
    Found,
    KnownRows,
    key_hashes,
    mobile_numbers,
    mobile_texts,
)
from sakari_sync.state.schema import FINGERPRINT
from sakari_sync.state.staging import Staging

PAYLOAD_FORMAT = 2  # 2: optional fields that are invalid are left out instead of rejecting the row
"""Bumped when a release changes what the transform writes for the same settings, so that every row
is read again once (and only the payloads that really changed are sent)."""

_SETTINGS_PART = 16  # hex digits of the settings fingerprint that prefix every row fingerprint


def payload_settings(params: SyncParameters) -> dict[str, Any]:
    """The settings that decide which rows are read and what is sent for them. When they change between
    runs, every row is read again (the ledger still sends only payloads that changed)."""
    src = params.source
    return {
        "format": PAYLOAD_FORMAT,
        "source": {
            "table": src.table,
            "query": src.query,
            "params": src.params,
            "key_column": src.key_column,
            "cursor_column": src.cursor_column,
        },
        "mapping": params.mapping.model_dump(mode="json"),
        "phone": params.phone.model_dump(mode="json"),
        "sakari": {"merge_strategy": params.sakari.merge_strategy},
    }


def changed_settings(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The settings (two levels deep, e.g. `mapping.lists`) that differ; none before the first run."""
    if before is None:
        return []
    changed = []
    for section in sorted(set(before) | set(after)):
        old, new = before.get(section), after.get(section)
        if isinstance(old, dict) and isinstance(new, dict):
            changed += [f"{section}.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            changed.append(section)
    return changed


def settings_fingerprint(params: SyncParameters) -> str:
    """The fingerprint of everything besides a row's values that decides its payload: the payload
    settings and the phone metadata (a new `phonenumbers` release can judge a number differently)."""
    shaping = {"settings": payload_settings(params), "phonenumbers": phonenumbers.__version__}
    text = json.dumps(shaping, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def row_hashes(rows: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The 64-bit hash of each row's values of `columns` (in that order)."""
    frame = pd.DataFrame({str(n): _hashable(rows[name]) for n, name in enumerate(columns)})
    if frame.empty:
        return np.zeros(len(rows), dtype=np.uint64)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def settings_head(settings: str) -> str:
    """What prefixes every row fingerprint made under these settings."""
    return settings[:_SETTINGS_PART]


def fingerprints(hashes: np.ndarray, head: str) -> list[str]:
    """Row fingerprints (as stored) of row hashes."""
    return [f"{head}{h:016x}" for h in hashes.tolist()]


def _hashable(column: pd.Series) -> pd.Series:
    """The column as pandas hashes it faithfully: text or numbers as they are, anything else (mixed
    types, decimals, dates, booleans) as each cell's type and repr."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "empty"):
        return column.reset_index(drop=True)
    if kind == "integer":
        try:
            return pd.Series(pd.array(column.tolist(), dtype="Int64"))
        except (OverflowError, TypeError):
            pass  # an integer beyond 64 bits: typed text below
    if kind == "floating":
        return pd.Series(pd.to_numeric(column.to_numpy(), errors="raise"), dtype="float64")
    return pd.Series([None if v is None else f"{type(v).__name__}:{v!r}" for v in column], dtype=object)


@dataclass(frozen=True)
class Split:
    """A page cut in two: the rows still to transform; how many rows were found as the ledger holds
    them (`known`: unchanged contacts), as the last run rejected them (`rejected`) or as it staged them
    when they lost the de-duplication (`again`); and the row fingerprint of each key still to
    transform (None for a key the page holds twice, which is never skipped)."""

    rest: pd.DataFrame
    known: int
    prints: dict[str, str | None]
    rejected: int = 0
    again: int = 0

    @property
    def set_aside(self) -> int:
        """The rows that skipped the transform."""
        return self.known + self.rejected + self.again

    def mostly_known(self, rest_below: int) -> bool:
        """Whether the page's rows were found unchanged but for fewer than `rest_below`."""
        return len(self.rest) < rest_below and (self.set_aside > 0 or self.rest.empty)

    def fingerprint(self, result: TransformResult) -> TransformResult:
        """The transform's result with the fingerprint of each valid row, rejected row and field left
        out; a row whose payload left a field out has its fingerprint marked (`FIELDS_LEFT_OUT`), so
        that it skips the next transform only if its fields' rejects are there to take over."""
        fields = set(result.field_issues["source_key"])
        prints = [_marked(self.prints.get(k), k in fields) for k in result.valid["source_key"]]
        refused = [self.prints.get(k) for k in result.rejects["source_key"]]
        issues = [_marked(self.prints.get(k), True) for k in result.field_issues["source_key"]]
        return TransformResult(
            result.valid.assign(**{FINGERPRINT: pd.Series(prints, dtype=object)}),
            result.rejects.assign(**{FINGERPRINT: pd.Series(refused, dtype=object)}),
            result.field_issues.assign(**{FINGERPRINT: pd.Series(issues, dtype=object)}),
        )


def _marked(print_: str | None, fields_left_out: bool) -> str | None:
    return print_ + FIELDS_LEFT_OUT if print_ is not None and fields_left_out else print_


class Skipper:
    """Fingerprints each page's rows and sets aside those the state database knows unchanged: rows
    whose contact Sakari holds with this fingerprint (counted, nothing written, unless other rows
    shared the contact's mobile: those are staged as the ledger holds them, for the de-duplication
    rule), with the fields they left out taken over; and rows the last run rejected with this
    fingerprint (their rejects taken over as this run's)."""

    def __init__(
        self, params: SyncParameters, staging: Staging | None, run_id: str, *, full_read: bool
    ) -> None:
        """`staging=None` fingerprints without skipping (a dry run shows every row's plan); a
        `full_read` reads what the state database knows at once (`KnownRows`), at the first page."""
        self.staging, self.run_id, self.full_read = staging, run_id, full_read
        self.key_column = params.source.key_column
        self.cursor_column = params.source.cursor_column
        self.columns = list(dict.fromkeys(params.mapping.columns().values()))
        self.head = settings_head(settings_fingerprint(params))
        self._known: KnownRows | None = None
        self._claimed: list[np.ndarray] = []

    def split(self, rows: pd.DataFrame) -> Split:
        """Fingerprint the page, set aside the rows known unchanged, and hand back the rest."""
        if rows.empty or any(c not in rows.columns for c in self.columns):
            return Split(rows, 0, {})  # the transform names the missing column
        hashes = row_hashes(rows, self.columns)
        keys = key_texts(rows[self.key_column])
        keyed = np.array([k is not None for k in keys], dtype=bool)
        key_hash = key_hashes(keys)
        once = keyed & ~pd.Series(np.where(keyed, key_hash, 0)).duplicated(keep=False).to_numpy()
        if self.staging is None or not once.any():
            return Split(rows, 0, self._prints(keys, hashes, once))
        wanted = np.flatnonzero(once)
        found = self._known_rows().find([str(keys[i]) for i in wanted], key_hash[wanted], hashes[wanted])
        fields = (found.flags & FIELDS) != 0
        unchanged = (found.mobiles != NOT_FOUND) & (~fields | (found.field_rejects != NOT_FOUND))
        staged = unchanged & ((found.flags & CONTESTED) != 0)
        rejected = (found.mobiles == NOT_FOUND) & (found.row_rejects != NOT_FOUND)
        lost = ~unchanged & ~rejected & (found.losers != NOT_FOUND)
        carried = Carried(
            rejects=found.row_rejects[rejected].tolist(),
            fields=[str(keys[i]) for i in wanted[unchanged & fields]],
            contested=self._contested(rows, wanted, keys, found, staged, hashes),
            losers=list(zip(found.losers[lost].tolist(), self._sorts(rows, wanted[lost]), strict=True)),
        )
        if carried:
            again = self.staging.carry_over(self.run_id, carried)
            lost[lost] = [i in again for i in found.losers[lost].tolist()]  # the others are transformed
        self._claimed.append(found.mobiles[unchanged & ~staged])
        keep = np.ones(len(rows), dtype=bool)
        keep[wanted[unchanged | rejected | lost]] = False
        rest_keys = [k for k, kept in zip(keys, keep, strict=True) if kept]
        rest = rows if keep.all() else rows[keep].reset_index(drop=True)
        prints = self._prints(rest_keys, hashes[keep], once[keep])
        return Split(rest, int(unchanged.sum()), prints, int(rejected.sum()), int(lost.sum()))

    def _contested(
        self,
        rows: pd.DataFrame,
        wanted: np.ndarray,
        keys: Sequence[str | None],
        found: Found,
        staged: np.ndarray,
        hashes: np.ndarray,
    ) -> list[tuple[str, str, str, str | None]]:
        """(source key, mobile, cursor sort, row fingerprint) of the unchanged rows to stage."""
        if not staged.any():
            return []
        at = wanted[staged]
        mobiles = mobile_texts(found.mobiles[staged].tolist())
        prints = [
            _marked(p, bool(f & FIELDS))
            for p, f in zip(fingerprints(hashes[at], self.head), found.flags[staged], strict=True)
        ]
        return list(zip((str(keys[i]) for i in at), mobiles, self._sorts(rows, at), prints, strict=True))

    def _sorts(self, rows: pd.DataFrame, at: np.ndarray) -> list[str]:
        """The cursor sort keys of the rows at these positions."""
        if not len(at):
            return []
        return cursor_columns(rows[self.cursor_column].iloc[at])[0] if self.cursor_column else [""] * len(at)

    def _known_rows(self) -> KnownRows:
        if self._known is None:
            assert self.staging is not None
            self._known = KnownRows(
                self.staging.engine, self.staging.sync_name, self.run_id, self.head, whole=self.full_read
            )
        return self._known

    def _prints(
        self, keys: Sequence[str | None], hashes: np.ndarray, once: np.ndarray
    ) -> dict[str, str | None]:
        """Each key's row fingerprint (None for a key the page holds twice)."""
        texts = fingerprints(hashes, self.head)
        return {
            k: (p if single else None)
            for k, p, single in zip(keys, texts, once, strict=True)
            if k is not None
        }

    def without_skipping(self) -> Skipper:
        """A skipper for the same sync that fingerprints rows and skips none."""
        plain = copy.copy(self)
        plain.staging, plain._known, plain._claimed = None, None, []
        return plain

    def claimed(self) -> np.ndarray:
        """The mobile numbers (`known.mobile_numbers`) of the contacts found unchanged and not staged,
        each once."""
        return np.unique(np.concatenate(self._claimed)) if self._claimed else np.empty(0, dtype=np.int64)

    def shared_mobiles(self) -> list[str]:
        """Once every page is staged: the keys of rows found unchanged (not staged) whose mobile a
        staged row shares, which the last de-duplication did not foresee. They are no longer counted
        unchanged; the caller reads them again and transforms them, so that the de-duplication rule
        sees both rows (it compares their cursors)."""
        claimed = self.claimed()
        if self.staging is None or self._known is None or not len(claimed):
            return []
        both = np.intersect1d(mobile_numbers(self.staging.staged_mobiles(self.run_id)), claimed)
        if not len(both):
            return []
        self._claimed = [claimed[~np.isin(claimed, both)]]
        return self._known.keys_of(mobile_texts(both.tolist()))

"""What decides a row's payload, fingerprinted, so that a row whose payload cannot have changed skips
the transform.

- The **settings fingerprint** covers the settings that shape payloads (`payload_settings`), the
  payload format of this release and the phone metadata's version: when it changes, every row is read
  again and transformed (the ledger still sends only payloads that changed).
- A **row fingerprint** covers the values of the columns the mapping reads (`MappingConfig.columns`),
  prefixed with the settings fingerprint. The ledger keeps the row fingerprint of every payload Sakari
  accepted; a row whose fingerprint equals its key's, for a contact still synced and not opted out, is
  staged as it stands in the ledger (`Skipper.split`, `Staging.stage_known`: one join in the state
  database), with no phone parsing, payload or JSON. Anything
  else (a changed value, a pending or refused contact, a row whose last payload left a field out, new
  settings) goes through the whole transform.

The row hash is pandas' (`hash_pandas_object`, 64 bits per row, by value and column order). Values
are hashed by type where the type could matter to the payload: a column whose cells are not all text
(or all integers, or all floats) is hashed from each cell's type and repr, so `1` and `"1"` differ.
Every imprecision errs the safe way: a value whose hash changes without its payload changing is only
transformed again.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers

from sakari_sync.config import SyncParameters
from sakari_sync.stages.transform import TransformResult
from sakari_sync.stages.values import cursor_columns, key_texts
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


def row_fingerprints(rows: pd.DataFrame, columns: Sequence[str], settings: str) -> list[str]:
    """Each row's fingerprint: the settings fingerprint's head, then the hash of `columns`' values."""
    frame = pd.DataFrame({str(n): _hashable(rows[name]) for n, name in enumerate(columns)})
    head = settings[:_SETTINGS_PART]
    if frame.empty:
        return [head] * len(rows)
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
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
    """A page cut in two: the rows still to transform, how many rows were staged as the ledger holds
    them, and how many rejected as the last run rejected them; `prints` holds the row fingerprint of
    each key (None for a key the page holds twice, which is never skipped)."""

    rest: pd.DataFrame
    known: int
    prints: dict[str, str | None]
    rejected: int = 0  # of the rows not to transform, those whose reject the last run left

    def fingerprint(self, result: TransformResult) -> TransformResult:
        """The transform's result with the fingerprint of each valid row and each rejected one, except
        rows whose payload left a field out: those are transformed every run, so their field issues
        are reported again."""
        fields = set(result.field_issues["source_key"])
        prints = [None if k in fields else self.prints.get(k) for k in result.valid["source_key"]]
        refused = [self.prints.get(k) for k in result.rejects["source_key"]]
        return result._replace(
            valid=result.valid.assign(**{FINGERPRINT: pd.Series(prints, dtype=object)}),
            rejects=result.rejects.assign(**{FINGERPRINT: pd.Series(refused, dtype=object)}),
        )


class Skipper:
    """Fingerprints each page's rows and stages those whose payload the ledger already holds."""

    def __init__(self, params: SyncParameters, staging: Staging | None, run_id: str) -> None:
        """`staging=None` fingerprints without skipping (a dry run shows every row's plan)."""
        self.staging, self.run_id = staging, run_id
        self.key_column = params.source.key_column
        self.cursor_column = params.source.cursor_column
        self.columns = list(dict.fromkeys(params.mapping.columns().values()))
        self.settings = settings_fingerprint(params)

    def split(self, rows: pd.DataFrame) -> Split:
        """Fingerprint the page, stage the rows whose fingerprint the ledger holds for their key, and
        hand back the rest."""
        if rows.empty or any(c not in rows.columns for c in self.columns):
            return Split(rows, 0, {})  # the transform names the missing column
        prints = row_fingerprints(rows, self.columns, self.settings)
        keys = key_texts(rows[self.key_column])
        twice = {k for k, n in Counter(keys).items() if n > 1}
        by_key: dict[str, str | None] = {
            k: None if k in twice else p for k, p in zip(keys, prints, strict=True) if k is not None
        }
        if self.staging is None or len(by_key) == len(twice):
            return Split(rows, 0, by_key)
        sorts = cursor_columns(rows[self.cursor_column])[0] if self.cursor_column else [""] * len(rows)
        probes = [
            (k, p, sort)
            for k, p, sort in zip(keys, prints, sorts, strict=True)
            if k is not None and k not in twice
        ]
        known, rejected = self.staging.stage_known(self.run_id, probes)
        if not known and not rejected:
            return Split(rows, 0, by_key)
        done = known | rejected
        keep = np.fromiter((k not in done for k in keys), dtype=bool, count=len(keys))
        return Split(rows[keep].reset_index(drop=True), len(known), by_key, len(rejected))

"""What a run writes for the rows it finds unchanged (`stages/fingerprint.py`), in one transaction per
page: most such rows need nothing written at all, but

- a row the last run rejected has that reject copied as this run's;
- a row whose payload left optional fields out has the latest run's record of them copied;
- a contact whose mobile other rows shared at the last de-duplication is staged as the ledger holds
  it (no payload, the ledger's hash), so that the rule compares the rows' cursors again;
- a row that lost the last run's de-duplication is staged again as it was then (payload and all),
  with the cursor sort key read now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sakari_sync.outcomes import STAGED_COLUMNS, RejectKind
from sakari_sync.state.schema import FINGERPRINT, insert_rows, ledger, rejects, staging

_IN_CLAUSE = 500  # values per `IN (...)`


@dataclass
class Carried:
    """One page's rows found unchanged that need something written."""

    rejects: list[int] = field(default_factory=list)  # ids of the latest run's rejects to copy
    fields: list[str] = field(default_factory=list)  # source keys whose fields left out are copied
    contested: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    """(source key, mobile, cursor sort, row fingerprint) of contacts to stage as the ledger holds them"""
    losers: list[tuple[int, str]] = field(default_factory=list)  # (staging id, cursor sort) to stage again

    def __bool__(self) -> bool:
        return bool(self.rejects or self.fields or self.contested or self.losers)


def write_carried(conn: sa.Connection, sync_name: str, run_id: str, carried: Carried) -> set[int]:
    """Write `carried` for `run_id`; return the staging ids of the losers found and staged again."""
    for chunk in _chunks(carried.rejects):
        _copy_rejects(conn, run_id, rejects.c.id.in_(chunk))
    for keys in _chunks(carried.fields):
        _copy_rejects(
            conn,
            run_id,
            rejects.c.sync_name == sync_name,
            rejects.c.kind == str(RejectKind.FIELD),
            rejects.c.run_id != run_id,
            rejects.c.source_key.in_(keys),
        )
    if carried.contested:
        _stage_contested(conn, sync_name, run_id, carried.contested)
    return _stage_losers(conn, sync_name, run_id, carried.losers) if carried.losers else set()


def _chunks(values: Sequence[Any]) -> list[list[Any]]:
    return [list(values[start : start + _IN_CLAUSE]) for start in range(0, len(values), _IN_CLAUSE)]


def _copy_rejects(conn: sa.Connection, run_id: str, *where: sa.ColumnElement[bool]) -> None:
    copied = [c for c in rejects.c if c.name not in ("id", "run_id")]
    rows = sa.select(sa.literal(run_id, rejects.c.run_id.type), *copied).where(*where)
    conn.execute(rejects.insert().from_select(["run_id", *(c.name for c in copied)], rows))


def _stage_contested(
    conn: sa.Connection, sync_name: str, run_id: str, rows: Sequence[tuple[str, str, str, str | None]]
) -> None:
    hashes: dict[str, str] = {}
    for mobiles in _chunks([mobile for _, mobile, _, _ in rows]):
        q = sa.select(ledger.c.mobile, ledger.c.payload_hash).where(
            ledger.c.sync_name == sync_name, ledger.c.mobile.in_(mobiles)
        )
        hashes.update({m: h for m, h in conn.execute(q)})
    columns = ["sync_name", "run_id", "is_winner", *STAGED_COLUMNS, FINGERPRINT]
    staged = [
        (sync_name, run_id, True, key, mobile, sort, "", hashes[mobile], print_)
        for key, mobile, sort, print_ in rows
    ]
    insert_rows(conn, staging, columns, staged)


def _stage_losers(
    conn: sa.Connection, sync_name: str, run_id: str, rows: Sequence[tuple[int, str]]
) -> set[int]:
    sorts = dict(rows)
    copied = ["source_key", "mobile", "payload", "payload_hash", FINGERPRINT]
    found: list[Any] = []
    for ids in _chunks([i for i, _ in rows]):
        found += conn.execute(
            sa.select(staging.c.id, *(staging.c[c] for c in copied)).where(staging.c.id.in_(ids))
        )
    again = [(sync_name, run_id, True, sorts[r[0]], *r[1:]) for r in found]
    insert_rows(conn, staging, ["sync_name", "run_id", "is_winner", "cursor_sort", *copied], again)
    return {r[0] for r in found}

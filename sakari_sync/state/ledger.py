"""The ledger: per mobile, what Sakari last accepted and how the last attempt went; the row log of
every run's outcomes; and the opt-outs. Written once per batch, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.outcomes import PENDING, ContactResult, LedgerStatus, Outcome
from sakari_sync.state.known import mobile_numbers
from sakari_sync.state.schema import bound, insert_rows, ledger, opted_out, optouts, outcomes, upsert_rows

_IN_CLAUSE = 500  # keys per UPDATE ... WHERE source_key IN (...)
_OUTCOME_COLUMNS = ("sync_name", "run_id", "source_key", "mobile", "outcome", "error_code", "error", "at")
# A ledger row's columns: the key and what every outcome writes; then what an accepted payload adds.
_LEDGER_ALWAYS = (
    "sync_name",
    "mobile",
    "source_key",
    "status",
    "last_error_code",
    "last_error",
    "updated_at",
)
_LEDGER_ACCEPTED = ("payload_hash", "payload", "source_fingerprint")
_STATUS_AFTER = {outcome: str(LedgerStatus.after(outcome)) for outcome in Outcome}


def now() -> dt.datetime:
    """The time the state database stores: aware UTC."""
    return dt.datetime.now(dt.UTC)


class Ledger:
    """One sync's ledger, row log and opt-outs."""

    def __init__(self, engine: Engine, sync_name: str) -> None:
        self.engine = engine
        self.sync_name = sync_name

    def record(self, run_id: str, results: Sequence[ContactResult]) -> None:
        """Write one batch's results to the row log, the ledger and the opt-outs, in one transaction."""
        at = now()
        latest = {r.change.mobile: r for r in results}  # a mobile is written once per statement
        with self.engine.begin() as conn:
            stamp = bound(conn, outcomes.c.at, at)  # one timestamp for the batch: convert it once
            rows = [self._log_row(run_id, r, stamp) for r in results]
            insert_rows(conn, outcomes, _OUTCOME_COLUMNS, rows)
            self._upsert_ledger(conn, list(latest.values()), at)
            self._upsert_optouts(
                conn, [r for r in latest.values() if r.blocked_at or r.outcome == "suppressed"], at
            )

    def _log_row(self, run_id: str, r: ContactResult, at: Any) -> tuple[Any, ...]:
        refusal = r.refusal
        code, error = (refusal.code, refusal.message) if refusal else (None, None)
        return (self.sync_name, run_id, r.change.source_key, r.change.mobile, str(r.outcome), code, error, at)

    def _upsert_ledger(self, conn: sa.Connection, results: Sequence[ContactResult], at: dt.datetime) -> None:
        """Insert or update each mobile's row: one statement per set of columns written (whether
        Sakari took the payload, whether a contact id is known), rows as plain tuples."""
        stamp = bound(conn, ledger.c.updated_at, at)
        groups: dict[tuple[bool, bool], list[tuple[Any, ...]]] = {}
        for r in results:
            change, refusal, accepted = r.change, r.refusal, r.outcome.accepted
            row: tuple[Any, ...] = (
                self.sync_name,
                change.mobile,
                change.source_key,
                _STATUS_AFTER[r.outcome],
                refusal.code if refusal else None,
                refusal.message if refusal else None,
                stamp,
            )
            if accepted:
                row += (change.payload_hash, change.payload, change.source_fingerprint)
            if r.contact_id:
                row += (r.contact_id,)
            groups.setdefault((accepted, bool(r.contact_id)), []).append(row)
        for (accepted, with_id), rows in groups.items():
            columns = (
                *_LEDGER_ALWAYS,
                *(_LEDGER_ACCEPTED if accepted else ()),
                *(("contact_id",) if with_id else ()),
            )
            upsert_rows(conn, ledger, columns, rows, update=columns[2:])

    def _upsert_optouts(self, conn: sa.Connection, results: Sequence[ContactResult], at: dt.datetime) -> None:
        if not results:
            return
        mobiles = [r.change.mobile for r in results]
        conn.execute(
            optouts.delete().where(optouts.c.sync_name == self.sync_name, optouts.c.mobile.in_(mobiles))
        )
        conn.execute(
            optouts.insert(),
            [
                {
                    "sync_name": self.sync_name,
                    "mobile": r.change.mobile,
                    "source_key": r.change.source_key,
                    "contact_id": r.contact_id,
                    "blocked_at": r.blocked_at,
                    "recorded_at": at,
                }
                for r in results
            ],
        )

    # -- read-back (reconcile) --------------------------------------------------------------------
    def _accepted(self) -> sa.Select[Any]:
        blocked = opted_out(self.sync_name, ledger.c.mobile)
        return sa.select(
            ledger.c.mobile,
            ledger.c.source_key,
            ledger.c.payload,
            ledger.c.payload_hash,
            ledger.c.contact_id,
            ledger.c.status,
            blocked.label("blocked"),
        ).where(ledger.c.sync_name == self.sync_name, ledger.c.payload.is_not(None))

    def rows_for(self, mobiles: Sequence[str]) -> list[Any]:
        """Ledger rows Sakari accepted once (with their opt-out flag) for these mobiles."""
        if not mobiles:
            return []
        with self.engine.connect() as conn:
            return list(conn.execute(self._accepted().where(ledger.c.mobile.in_(mobiles))))

    def iter_accepted(self, *, exclude: set[str], page: int = 1000) -> Iterator[list[Any]]:
        """Every ledger row whose payload Sakari accepted once, page by page, minus `exclude`."""
        after = ""
        while True:
            q = self._accepted().where(ledger.c.mobile > after).order_by(ledger.c.mobile).limit(page)
            with self.engine.connect() as conn:
                rows = list(conn.execute(q))
            if not rows:
                return
            yield [r for r in rows if r.mobile not in exclude]
            after = rows[-1].mobile

    def touched_mobiles(self, run_id: str) -> list[str]:
        """Mobiles this run sent (or tried to send)."""
        q = sa.select(outcomes.c.mobile).where(outcomes.c.run_id == run_id).distinct()
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def pending_keys(self) -> set[str]:
        """Source keys of contacts Sakari refused or could not take: read again by the next run, even
        when the cursor has moved past their rows."""
        q = sa.select(ledger.c.source_key).where(
            ledger.c.sync_name == self.sync_name, ledger.c.status.in_([str(s) for s in PENDING])
        )
        with self.engine.connect() as conn:
            return set(conn.execute(q).scalars())

    def forget_pending(self, keys: Collection[str]) -> int:
        """Pending contacts whose source row is gone (read again by key, not found) become absent."""
        gone = sorted(keys)
        changed = 0
        with self.engine.begin() as conn:
            for start in range(0, len(gone), _IN_CLAUSE):
                result = conn.execute(
                    ledger.update()
                    .where(
                        ledger.c.sync_name == self.sync_name,
                        ledger.c.source_key.in_(gone[start : start + _IN_CLAUSE]),
                        ledger.c.status.in_([str(s) for s in PENDING]),
                    )
                    .values(status=str(LedgerStatus.ABSENT), updated_at=now())
                )
                changed += int(result.rowcount or 0)
        return changed

    def mark_contested(self, shared: sa.Select[Any], winners: sa.Select[Any], *, every: bool) -> None:
        """Keep, in `cursor_sort`, the winning row's cursor sort key of each contact whose mobile
        several rows shared (`shared`, a subquery of mobiles; `winners`, of (mobile, cursor_sort)); with
        `every` (a full read), the other contacts' is cleared. A contact with a cursor sort key is
        staged when found unchanged, so the de-duplication rule sees its row again."""
        won = winners.subquery()
        mobile, cursor_sort = won.c
        sort = sa.select(cursor_sort).where(mobile == ledger.c.mobile).limit(1).scalar_subquery()
        this = ledger.c.sync_name == self.sync_name
        with self.engine.begin() as conn:
            conn.execute(ledger.update().where(this, ledger.c.mobile.in_(shared)).values(cursor_sort=sort))
            if every:
                conn.execute(
                    ledger.update()
                    .where(this, ledger.c.cursor_sort.is_not(None), ledger.c.mobile.not_in(shared))
                    .values(cursor_sort=None)
                )

    def mark_absent(self, present: sa.Select[Any], unchanged: np.ndarray) -> int:
        """After a full read of the source: mobiles no row claims any more are absent. A row claims its
        mobile when it is staged (`present`, a subquery of mobiles) or was found unchanged (`unchanged`:
        the mobile numbers, `known.mobile_numbers`, of contacts not staged). When the counts show that
        every live contact is claimed, nothing is read."""
        live = sa.and_(ledger.c.sync_name == self.sync_name, ledger.c.status != str(LedgerStatus.ABSENT))
        unclaimed = sa.and_(live, ledger.c.mobile.not_in(present))
        with self.engine.begin() as conn:
            outside = conn.execute(sa.select(sa.func.count()).where(unclaimed)).scalar_one()
            if outside <= len(unchanged):  # unchanged contacts are live and not staged: all claimed
                return 0
            candidates = list(conn.execute(sa.select(ledger.c.mobile).where(unclaimed)).scalars())
            gone = [
                m
                for m, kept in zip(candidates, np.isin(mobile_numbers(candidates), unchanged), strict=True)
                if not kept
            ]
            changed = 0
            for start in range(0, len(gone), _IN_CLAUSE):
                result = conn.execute(
                    ledger.update()
                    .where(live, ledger.c.mobile.in_(gone[start : start + _IN_CLAUSE]))
                    .values(status=str(LedgerStatus.ABSENT), updated_at=now())
                )
                changed += int(result.rowcount or 0)
        return changed

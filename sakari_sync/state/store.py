"""Reads and writes of the state database for one named sync (tables in `sakari_sync.state.schema`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_client.redaction import mask_phone
from sakari_sync.state.schema import (
    SENT_OK,
    decode_cursor,
    encode_cursor,
    ledger,
    optouts,
    outcomes,
    rates,
    rejects,
    staging,
    upsert,
    watermarks,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Change:
    """A winning staged row whose payload Sakari has not yet accepted."""

    mobile: str
    source_key: str
    payload: str
    payload_hash: str
    known_contact_id: str | None
    previous_payload: str | None
    blocked: bool


@dataclass(frozen=True)
class Outcome:
    """What happened to one contact in a batch."""

    change: Change
    status: str  # created, updated, suppressed, rejected, failed
    contact_id: str | None = None
    error: str | None = None
    blocked_at: str | None = None


class StateStore:
    """Reads and writes the state database for one named sync."""

    def __init__(self, engine: Engine, sync_name: str) -> None:
        self.engine = engine
        self.sync_name = sync_name

    # -- staging ----------------------------------------------------------------------------------
    def clear_staging(self, *, rejects_too: bool = False) -> None:
        """Drop what earlier (finished or crashed) runs of this sync left staged.

        Rejects are kept after a run, so the latest run's can be queried, and dropped when the next begins.
        """
        with self.engine.begin() as conn:
            conn.execute(staging.delete().where(staging.c.sync_name == self.sync_name))
            if rejects_too:
                conn.execute(rejects.delete().where(rejects.c.sync_name == self.sync_name))

    def stage(self, run_id: str, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        """Append one chunk's transformed rows and rejects to this run's staging."""
        base = {"sync_name": self.sync_name, "run_id": run_id}
        cols = ["source_key", "mobile", "cursor_sort", "payload", "payload_hash"]
        rows = [base | dict(zip(cols, r, strict=True)) for r in valid[cols].itertuples(index=False)]
        rcols = ["source_key", "reason", "detail", "mobile_masked"]
        rrows = [base | dict(zip(rcols, r, strict=True)) for r in rejected[rcols].itertuples(index=False)]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(staging.insert(), rows)
            if rrows:
                conn.execute(rejects.insert(), rrows)

    def resolve_duplicates(self, run_id: str) -> int:
        """Keep one row per mobile across all chunks; the rest become `duplicate_mobile` rejects.

        The rule is the transform's: the greatest (cursor_sort, source_key) wins.
        """
        s, w = staging.alias("s"), staging.alias("w")
        better = (
            sa.select(w.c.source_key)
            .where(
                w.c.run_id == s.c.run_id,
                w.c.mobile == s.c.mobile,
                sa.or_(
                    w.c.cursor_sort > s.c.cursor_sort,
                    sa.and_(w.c.cursor_sort == s.c.cursor_sort, w.c.source_key > s.c.source_key),
                ),
            )
            .order_by(w.c.cursor_sort.desc(), w.c.source_key.desc())
            .limit(1)
            .scalar_subquery()
        )
        losers = sa.select(s.c.id, s.c.source_key, s.c.mobile, better.label("winner")).where(
            s.c.run_id == run_id, better.is_not(None)
        )
        with self.engine.begin() as conn:
            found = conn.execute(losers).all()
            if not found:
                return 0
            conn.execute(
                rejects.insert(),
                [
                    {
                        "sync_name": self.sync_name,
                        "run_id": run_id,
                        "source_key": r.source_key,
                        "reason": "duplicate_mobile",
                        "detail": f"same mobile as source key {r.winner}, which wins",
                        "mobile_masked": mask_phone(r.mobile),
                    }
                    for r in found
                ],
            )
            ids = [r.id for r in found]
            for start in range(0, len(ids), 500):
                conn.execute(
                    staging.update().where(staging.c.id.in_(ids[start : start + 500])).values(is_winner=False)
                )
        return len(found)

    # -- planning ---------------------------------------------------------------------------------
    def _winners_with_ledger(self, run_id: str) -> sa.Select[Any]:
        s = staging
        blocked = (
            sa.select(sa.literal(1))
            .where(optouts.c.sync_name == self.sync_name, optouts.c.mobile == s.c.mobile)
            .exists()
        )
        return (
            sa.select(
                s.c.mobile,
                s.c.source_key,
                s.c.payload,
                s.c.payload_hash,
                ledger.c.contact_id,
                ledger.c.payload.label("previous_payload"),
                ledger.c.payload_hash.label("accepted_hash"),
                ledger.c.status,
                blocked.label("blocked"),
            )
            .select_from(
                s.outerjoin(
                    ledger, sa.and_(ledger.c.sync_name == self.sync_name, ledger.c.mobile == s.c.mobile)
                )
            )
            .where(s.c.run_id == run_id, s.c.is_winner.is_(True))
        )

    def _pending_filter(self) -> sa.ColumnElement[bool]:
        return sa.or_(
            ledger.c.mobile.is_(None),
            ledger.c.payload_hash.is_(None),
            ledger.c.payload_hash != staging.c.payload_hash,
            ledger.c.status.not_in(SENT_OK),
        )

    def count_plan(self, run_id: str) -> dict[str, int]:
        """How many winners are unchanged and how many need sending."""
        sub = (
            self._winners_with_ledger(run_id)
            .add_columns(sa.case((self._pending_filter(), 1), else_=0).label("pending"))
            .subquery()
        )
        q = sa.select(
            sa.func.count().label("winners"),
            sa.func.coalesce(sa.func.sum(sub.c.pending), 0).label("pending"),
        )
        with self.engine.connect() as conn:
            row = conn.execute(q.select_from(sub)).one()
        return {"winners": int(row.winners), "pending": int(row.pending)}

    def iter_changes(self, run_id: str, batch_size: int) -> Iterator[list[Change]]:
        """Batches of winners to send, in mobile order, read page by page (keyset) to keep memory flat."""
        after = ""
        while True:
            q = (
                self._winners_with_ledger(run_id)
                .where(self._pending_filter(), staging.c.mobile > after)
                .order_by(staging.c.mobile)
                .limit(batch_size)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(q).all()
            if not rows:
                return
            yield [
                Change(
                    mobile=r.mobile,
                    source_key=r.source_key,
                    payload=r.payload,
                    payload_hash=r.payload_hash,
                    known_contact_id=r.contact_id,
                    previous_payload=r.previous_payload,
                    blocked=bool(r.blocked),
                )
                for r in rows
            ]
            after = rows[-1].mobile

    def rejects_for(self, run_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        q = (
            sa.select(rejects.c.source_key, rejects.c.reason, rejects.c.detail, rejects.c.mobile_masked)
            .where(rejects.c.run_id == run_id)
            .order_by(rejects.c.id)
        )
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def reject_counts(self, run_id: str) -> dict[str, int]:
        q = (
            sa.select(rejects.c.reason, sa.func.count())
            .where(rejects.c.run_id == run_id)
            .group_by(rejects.c.reason)
        )
        with self.engine.connect() as conn:
            return {reason: int(n) for reason, n in conn.execute(q)}

    # -- read-back (reconcile) --------------------------------------------------------------------
    def _ledger_select(self) -> sa.Select[Any]:
        blocked = (
            sa.select(sa.literal(1))
            .where(optouts.c.sync_name == self.sync_name, optouts.c.mobile == ledger.c.mobile)
            .exists()
        )
        return sa.select(
            ledger.c.mobile,
            ledger.c.source_key,
            ledger.c.payload,
            ledger.c.payload_hash,
            ledger.c.contact_id,
            ledger.c.status,
            blocked.label("blocked"),
        ).where(ledger.c.sync_name == self.sync_name, ledger.c.payload.is_not(None))

    def ledger_rows(self, mobiles: Sequence[str]) -> list[Any]:
        """Ledger rows (with their opt-out flag) for these mobiles."""
        if not mobiles:
            return []
        with self.engine.connect() as conn:
            return list(conn.execute(self._ledger_select().where(ledger.c.mobile.in_(mobiles))))

    def iter_ledger(self, *, exclude: set[str], page: int = 1000) -> Iterator[list[Any]]:
        """Every ledger row of this sync whose payload Sakari accepted once, page by page, minus `exclude`."""
        after = ""
        while True:
            q = self._ledger_select().where(ledger.c.mobile > after).order_by(ledger.c.mobile).limit(page)
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

    def mark_absent(self, run_id: str) -> int:
        """After a full read of the source: ledger mobiles no winner claims any more are `absent`."""
        present = sa.select(staging.c.mobile).where(staging.c.run_id == run_id, staging.c.is_winner.is_(True))
        with self.engine.begin() as conn:
            result = conn.execute(
                ledger.update()
                .where(ledger.c.sync_name == self.sync_name, ledger.c.mobile.not_in(present))
                .values(status="absent", updated_at=_now())
            )
        return int(result.rowcount or 0)

    # -- outcomes ---------------------------------------------------------------------------------
    def record_outcomes(self, run_id: str, results: Sequence[Outcome]) -> None:
        """Write one batch's outcomes to the ledger, the row log and the opt-outs, in one transaction."""
        now = _now()
        with self.engine.begin() as conn:
            if results:
                conn.execute(
                    outcomes.insert(),
                    [
                        {
                            "sync_name": self.sync_name,
                            "run_id": run_id,
                            "source_key": o.change.source_key,
                            "mobile": o.change.mobile,
                            "outcome": o.status,
                            "error": o.error,
                            "at": now,
                        }
                        for o in results
                    ],
                )
            latest = {o.change.mobile: o for o in results}  # a mobile is written once per statement
            self._upsert_ledger(conn, list(latest.values()), now)
            self._upsert_optouts(conn, [o for o in latest.values() if o.status == "suppressed"], now)

    def _upsert_ledger(self, conn: sa.Connection, results: Sequence[Outcome], now: dt.datetime) -> None:
        """Insert or update each mobile's ledger row: one statement per set of columns written."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for o in results:
            values: dict[str, Any] = {
                "source_key": o.change.source_key,
                "status": "synced" if o.status in ("created", "updated") else o.status,
                "last_error": o.error,
                "updated_at": now,
            }
            if o.status in ("created", "updated", "suppressed"):  # Sakari accepted this payload
                values |= {"payload_hash": o.change.payload_hash, "payload": o.change.payload}
            if o.contact_id:
                values["contact_id"] = o.contact_id
            key = {"sync_name": self.sync_name, "mobile": o.change.mobile}
            groups.setdefault(tuple(values), []).append(key | values)
        for columns, rows in groups.items():
            upsert(conn, ledger, rows, update=columns)

    def _upsert_optouts(self, conn: sa.Connection, results: Sequence[Outcome], now: dt.datetime) -> None:
        if not results:
            return
        mobiles = [o.change.mobile for o in results]
        conn.execute(
            optouts.delete().where(optouts.c.sync_name == self.sync_name, optouts.c.mobile.in_(mobiles))
        )
        conn.execute(
            optouts.insert(),
            [
                {
                    "sync_name": self.sync_name,
                    "mobile": o.change.mobile,
                    "source_key": o.change.source_key,
                    "contact_id": o.contact_id,
                    "blocked_at": o.blocked_at,
                    "recorded_at": now,
                }
                for o in results
            ],
        )

    # -- cursor and learned rate --------------------------------------------------------------------
    def get_watermark(self) -> Any:
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(watermarks.c.cursor).where(watermarks.c.sync_name == self.sync_name)
            ).scalar()
        return None if text is None else decode_cursor(text)

    def set_watermark(self, value: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(watermarks.delete().where(watermarks.c.sync_name == self.sync_name))
            conn.execute(
                watermarks.insert().values(
                    sync_name=self.sync_name, cursor=encode_cursor(value), updated_at=_now()
                )
            )

    def get_rate(self, endpoint: str) -> float | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(rates.c.rate).where(rates.c.endpoint == endpoint)).scalar()
        return None if value is None else float(value)

    def set_rate(self, endpoint: str, rate: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(rates.delete().where(rates.c.endpoint == endpoint))
            conn.execute(rates.insert().values(endpoint=endpoint, rate=rate, updated_at=_now()))

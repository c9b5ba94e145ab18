"""This run's transformed rows, de-duplicated by mobile, and the rejects: what the load plan reads.

**The de-duplication rule, defined here only:** among staged rows with the same mobile, the greatest
(`cursor_sort`, `source_key`) wins, both compared as strings code point by code point (binary
collation: PostgreSQL `COLLATE "C"` columns, SQLite's default). `cursor_sort` is a string that sorts
like the cursor value (see `stages/values.py`), so the most recently changed row wins, then the
greatest key. The rows that lose become `duplicate_mobile` rejects naming the winner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_client.redaction import mask_phone
from sakari_sync.outcomes import (
    DUPLICATE_MOBILE,
    REJECT_COLUMNS,
    SETTLED,
    STAGED_COLUMNS,
    Change,
    LedgerStatus,
    RejectKind,
)
from sakari_sync.state.carry import Carried, write_carried
from sakari_sync.state.schema import (
    FINGERPRINT,
    KEPT_LOSER,
    insert_rows,
    ledger,
    opted_out,
    rejects,
    staging,
)

_IN_CLAUSE = 500  # ids per UPDATE ... WHERE id IN (...)


@dataclass(frozen=True)
class PlanCounts:
    """How many de-duplicated contacts the run staged, and how many of them need sending."""

    winners: int
    pending: int

    @property
    def unchanged(self) -> int:
        return self.winners - self.pending


class Staging:
    """One sync's staging area in the state database."""

    def __init__(self, engine: Engine, sync_name: str) -> None:
        self.engine = engine
        self.sync_name = sync_name

    def clear(self, *, rejects_too: bool = False) -> None:
        """Drop what earlier (finished or crashed) runs left staged, but the latest run's losers (rows
        that lost the de-duplication, with their row fingerprints), for the next run to stage again
        when their rows did not change (`stage_again`). Rejects are kept after a run, so the latest
        run's can be queried; when the next begins (`rejects_too`) only the latest run's stay, for it to
        take over those of unchanged rows (`Skipper`). Both go once this run's are staged
        (`drop_older`)."""
        kept = (
            sa.select(staging.c.run_id)
            .where(staging.c.sync_name == self.sync_name, KEPT_LOSER)
            .order_by(staging.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        with self.engine.begin() as conn:
            conn.execute(
                staging.delete().where(
                    staging.c.sync_name == self.sync_name,
                    sa.not_(sa.and_(KEPT_LOSER, staging.c.run_id == kept)),
                )
            )
            if rejects_too:
                latest = (
                    sa.select(rejects.c.run_id)
                    .where(rejects.c.sync_name == self.sync_name)
                    .order_by(rejects.c.id.desc())
                    .limit(1)
                    .scalar_subquery()
                )
                conn.execute(
                    rejects.delete().where(rejects.c.sync_name == self.sync_name, rejects.c.run_id != latest)
                )

    def drop_older(self, run_id: str) -> None:
        """Once this run's rows and rejects are all staged: drop every other run's."""
        with self.engine.begin() as conn:
            conn.execute(
                rejects.delete().where(rejects.c.sync_name == self.sync_name, rejects.c.run_id != run_id)
            )
            conn.execute(
                staging.delete().where(staging.c.sync_name == self.sync_name, staging.c.run_id != run_id)
            )

    def carry_over(self, run_id: str, carried: Carried) -> set[int]:
        """Write, in one transaction, what the rows found unchanged need (see `Carried`); return the
        staging ids of the losers found staged again (the caller transforms the others)."""
        with self.engine.begin() as conn:
            return write_carried(conn, self.sync_name, run_id, carried)

    def stage(self, run_id: str, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        """Append one page's rows (`STAGED_COLUMNS`, and `FINGERPRINT` when known) and rejects."""
        columns = [*STAGED_COLUMNS, *([FINGERPRINT] if FINGERPRINT in valid.columns else [])]
        base = (self.sync_name, run_id, True)
        rows = [base + r for r in valid[columns].itertuples(index=False, name=None)]
        with self.engine.begin() as conn:
            insert_rows(conn, staging, ["sync_name", "run_id", "is_winner", *columns], rows)
        self.add_rejects(run_id, rejected)

    def shared_mobiles(self, run_id: str) -> sa.Select[Any]:
        """The mobiles this run staged more than once (a subquery)."""
        return (
            sa.select(staging.c.mobile)
            .where(staging.c.run_id == run_id)
            .group_by(staging.c.mobile)
            .having(sa.func.count() > 1)
        )

    def staged_mobiles(self, run_id: str) -> list[str]:
        """The mobiles of the rows this run transformed and staged."""
        q = sa.select(staging.c.mobile).where(staging.c.run_id == run_id).distinct()
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def add_rejects(self, run_id: str, rejected: pd.DataFrame, kind: RejectKind = RejectKind.ROW) -> None:
        """Append rejects (`REJECT_COLUMNS`, and `FINGERPRINT` when known) of one kind: the transform's,
        Sakari's refusals, ..."""
        columns = [*REJECT_COLUMNS, *([FINGERPRINT] if FINGERPRINT in rejected.columns else [])]
        base = (self.sync_name, run_id, str(kind))
        rows = [base + r for r in rejected[columns].itertuples(index=False, name=None)]
        if rows:
            with self.engine.begin() as conn:
                insert_rows(conn, rejects, ["sync_name", "run_id", "kind", *columns], rows)

    def resolve_duplicates(self, run_id: str) -> int:
        """Keep one row per mobile by the rule above; the rest become `duplicate_mobile` rejects."""
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
        shared = self.shared_mobiles(run_id)  # one pass over the (run_id, mobile) index
        losers = sa.select(s.c.id, s.c.source_key, s.c.mobile, better.label("winner")).where(
            s.c.run_id == run_id, s.c.mobile.in_(shared), better.is_not(None)
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
                        "kind": str(RejectKind.ROW),
                        "source_key": r.source_key,
                        "reason": DUPLICATE_MOBILE,
                        "detail": duplicate_detail(r.winner),
                        "mobile_masked": mask_phone(r.mobile),
                    }
                    for r in found
                ],
            )
            ids = [r.id for r in found]
            loser_keys = [r.source_key for r in found]
            for start in range(0, len(ids), _IN_CLAUSE):
                chunk = ids[start : start + _IN_CLAUSE]
                conn.execute(staging.update().where(staging.c.id.in_(chunk)).values(is_winner=False))
                # A losing row is not sent: the fields it would have left out are no issue of this run.
                conn.execute(
                    rejects.delete().where(
                        rejects.c.run_id == run_id,
                        rejects.c.kind == str(RejectKind.FIELD),
                        rejects.c.source_key.in_(loser_keys[start : start + _IN_CLAUSE]),
                    )
                )
        return len(found)

    def _winners_with_ledger(self, run_id: str) -> sa.Select[Any]:
        s = staging
        blocked = opted_out(self.sync_name, s.c.mobile)
        return (
            sa.select(
                s.c.mobile,
                s.c.source_key,
                s.c.payload,
                s.c.payload_hash,
                ledger.c.contact_id,
                ledger.c.payload.label("previous_payload"),
                blocked.label("blocked"),
                s.c.source_fingerprint,
            )
            .select_from(
                s.outerjoin(
                    ledger, sa.and_(ledger.c.sync_name == self.sync_name, ledger.c.mobile == s.c.mobile)
                )
            )
            .where(s.c.run_id == run_id, s.c.is_winner.is_(True))
        )

    @staticmethod
    def _pending() -> sa.ColumnElement[bool]:
        """A winner is sent unless Sakari already accepted exactly this payload."""
        return sa.or_(
            ledger.c.mobile.is_(None),
            ledger.c.payload_hash.is_(None),
            ledger.c.payload_hash != staging.c.payload_hash,
            ledger.c.status.not_in([str(s) for s in SETTLED]),
        )

    def count_plan(self, run_id: str, known: int = 0) -> PlanCounts:
        """How many winners there are (`known`: contacts found unchanged, which are not staged), and
        how many need sending."""
        sub = (
            self._winners_with_ledger(run_id)
            .add_columns(sa.case((self._pending(), 1), else_=0).label("pending"))
            .subquery()
        )
        q = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sub.c.pending), 0)).select_from(sub)
        with self.engine.connect() as conn:
            winners, pending = conn.execute(q).one()
        return PlanCounts(int(winners) + known, int(pending))

    def iter_changes(self, run_id: str, batch_size: int) -> Iterator[list[Change]]:
        """Batches of winners to send, in mobile order, read page by page (keyset) to keep memory flat."""
        after = ""
        while True:
            q = (
                self._winners_with_ledger(run_id)
                .where(self._pending(), staging.c.mobile > after)
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
                    source_fingerprint=r.source_fingerprint,
                )
                for r in rows
            ]
            after = rows[-1].mobile

    def remember_fingerprints(self, run_id: str) -> None:
        """For winners transformed this run whose payload Sakari already holds (so nothing is sent),
        keep their row fingerprint in the ledger: the next run skips them while their values stay."""
        s = staging
        transformed = sa.select(s.c.mobile).where(
            s.c.run_id == run_id,
            s.c.is_winner.is_(True),
            s.c.payload != "",  # a row staged unchanged: the ledger holds its fingerprint already
            s.c.source_fingerprint.is_not(None),
        )
        same = sa.and_(
            s.c.run_id == run_id,
            s.c.is_winner.is_(True),
            s.c.mobile == ledger.c.mobile,
            sa.cast(s.c.source_key, sa.Text) == ledger.c.source_key,  # no "C" collation (PostgreSQL)
            s.c.payload_hash == ledger.c.payload_hash,
        )
        fingerprint = sa.select(s.c.source_fingerprint).where(same).limit(1).scalar_subquery()
        with self.engine.begin() as conn:
            conn.execute(
                ledger.update()
                .where(
                    ledger.c.sync_name == self.sync_name,
                    ledger.c.mobile.in_(transformed),
                    ledger.c.status == str(LedgerStatus.SYNCED),
                    sa.select(sa.literal(1)).where(same, s.c.source_fingerprint.is_not(None)).exists(),
                )
                .values(source_fingerprint=fingerprint)
            )

    def winning_sorts(self, run_id: str) -> sa.Select[Any]:
        """(mobile, cursor sort) of this run's winners (a subquery for the ledger's `mark_contested`)."""
        return sa.select(staging.c.mobile, staging.c.cursor_sort).where(
            staging.c.run_id == run_id, staging.c.is_winner.is_(True)
        )

    def winning_mobiles(self, run_id: str) -> sa.Select[Any]:
        """The mobiles this run's winners claim (a subquery for the ledger's `mark_absent`)."""
        return sa.select(staging.c.mobile).where(staging.c.run_id == run_id, staging.c.is_winner.is_(True))

    def rejects_for(self, run_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """This run's rejects in the order they were found (masked)."""
        q = (
            sa.select(rejects.c.source_key, rejects.c.reason, rejects.c.detail, rejects.c.mobile_masked)
            .where(rejects.c.run_id == run_id)
            .order_by(rejects.c.id)
        )
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def sample_rejects(self, run_id: str, per_reason: int) -> list[dict[str, Any]]:
        """Up to `per_reason` rejects of each reason, in the order they were found (masked)."""
        ranked = sa.select(
            rejects.c.source_key,
            rejects.c.reason,
            rejects.c.detail,
            rejects.c.mobile_masked,
            rejects.c.kind,
            sa.func.row_number().over(partition_by=rejects.c.reason, order_by=rejects.c.id).label("n"),
        ).where(rejects.c.run_id == run_id)
        sub = ranked.subquery()
        q = (
            sa.select(sub.c.kind, sub.c.source_key, sub.c.reason, sub.c.detail, sub.c.mobile_masked)
            .where(sub.c.n <= per_reason)
            .order_by(sub.c.reason, sub.c.n)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def reject_counts(self, run_id: str, kind: RejectKind = RejectKind.ROW) -> dict[str, int]:
        """This run's rejects of one kind by reason (by default the rows the transform rejected and the
        duplicates that lost: what `plan_load` counts)."""
        q = (
            sa.select(rejects.c.reason, sa.func.count())
            .where(rejects.c.run_id == run_id, rejects.c.kind == str(kind))
            .group_by(rejects.c.reason)
        )
        with self.engine.connect() as conn:
            return {reason: int(n) for reason, n in conn.execute(q)}


def duplicate_detail(winner_key: str) -> str:
    """The detail of a `duplicate_mobile` reject."""
    return f"same mobile as source key {winner_key!r}, which wins (greater cursor, then key)"

"""The state database on SQLite and PostgreSQL: de-duplication, change detection, ledger, cursor, lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from sakari_sync.config import MappingConfig, PhoneConfig
from sakari_sync.errors import AlreadyRunningError
from sakari_sync.outcomes import Change, ContactResult, Outcome, Refusal
from sakari_sync.stages.transform import transform_chunk
from sakari_sync.state.cursor import decode_cursor, encode_cursor, read_cursor, write_cursor
from sakari_sync.state.database import connect_state
from sakari_sync.state.ledger import Ledger
from sakari_sync.state.lock import acquire_lock, release_lock
from sakari_sync.state.schema import ledger, locks, optouts, outcomes
from sakari_sync.state.staging import Staging


class Store:
    """One sync's staging and ledger on a test database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.staging = Staging(engine, "test")
        self.ledger = Ledger(engine, "test")

    def changes(self, run_id: str, batch_size: int = 10) -> list[Change]:
        return [c for batch in self.staging.iter_changes(run_id, batch_size) for c in batch]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return Store(connect_state(url))


def failed(change: Change, code: str | None = None) -> ContactResult:
    return ContactResult(change, Outcome.FAILED, refusal=Refusal(code, "Service unavailable", 503))


def valid_rows(*rows: tuple[str, str, str, dict[str, Any]]) -> pd.DataFrame:
    out = []
    for key, mobile, cursor_sort, body in rows:
        payload = json.dumps({"mobile": {"number": mobile}} | body, sort_keys=True)
        out.append(
            {
                "source_key": key,
                "mobile": mobile,
                "cursor_sort": cursor_sort,
                "cursor": cursor_sort,
                "payload": payload,
                "payload_hash": hashlib.sha256(payload.encode()).hexdigest(),
            }
        )
    return pd.DataFrame(out)


NO_REJECTS = pd.DataFrame(columns=["source_key", "reason", "detail", "mobile_masked"])


def test_duplicates_across_chunks_keep_the_greatest_cursor_then_key(store: Store) -> None:
    """Rows sharing a mobile across pages: the greatest (cursor, key) wins, the others are rejects."""
    staging = store.staging
    staging.stage(
        "r1", valid_rows(("1", "+14155550001", "2026-01-02", {}), ("2", "+14155550002", "x", {})), NO_REJECTS
    )
    staging.stage(
        "r1", valid_rows(("3", "+14155550001", "2026-01-03", {}), ("4", "+14155550002", "x", {})), NO_REJECTS
    )
    assert staging.resolve_duplicates("r1") == 2
    assert {c.source_key for c in store.changes("r1")} == {"3", "4"}
    rejects = staging.rejects_for("r1")
    assert {(r["source_key"], r["reason"]) for r in rejects} == {
        ("1", "duplicate_mobile"),
        ("2", "duplicate_mobile"),
    }
    assert all("0001" in r["mobile_masked"] or "0002" in r["mobile_masked"] for r in rejects)
    assert not any("+1415555" in (r["detail"] or "") + (r["mobile_masked"] or "") for r in rejects)


def test_only_payloads_sakari_has_not_accepted_are_pending(store: Store) -> None:
    """An accepted payload is not sent again while unchanged; a failed one is; an update knows its id."""
    staging = store.staging
    rows = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A"}), ("2", "+14155550002", "", {"firstName": "B"})
    )
    staging.stage("r1", rows, NO_REJECTS)
    changes = store.changes("r1", batch_size=1)
    assert [c.mobile for c in changes] == ["+14155550001", "+14155550002"], (
        "keyset pages cover every row once"
    )
    store.ledger.record(
        "r1", [ContactResult(changes[0], Outcome.CREATED, contact_id="c1"), failed(changes[1])]
    )
    staging.clear()
    staging.stage("r2", rows, NO_REJECTS)
    plan = staging.count_plan("r2")
    assert (plan.winners, plan.pending) == (2, 1), "the failed one is sent again, the accepted not"
    staging.clear()
    staging.stage("r3", valid_rows(("1", "+14155550001", "", {"firstName": "A2"})), NO_REJECTS)
    [change] = store.changes("r3")
    assert change.known_contact_id == "c1"
    assert json.loads(change.previous_payload or "{}")["firstName"] == "A"


@pytest.mark.parametrize(
    "value",
    [
        42,
        4.5,
        "2026-01-01",
        dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 3, 4, 5),
        Decimal("1.50"),
        pd.Timestamp("2026-01-02 03:04:05"),
    ],
)
def test_the_cursor_comes_back_as_the_type_it_was(value: Any) -> None:
    """A stored cursor decodes to the same value and Python type."""
    back = decode_cursor(encode_cursor(value))
    assert back == value
    assert isinstance(back, type(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value))


def test_the_cursor_is_kept_per_sync(store: Store) -> None:
    """Each sync reads back its own cursor; a sync that never stored one has none."""
    write_cursor(store.engine, "test", dt.datetime(2026, 1, 2, 3, 4, 5))
    write_cursor(store.engine, "test", dt.datetime(2026, 2, 3, 4, 5, 6))
    write_cursor(store.engine, "other", 7)
    assert read_cursor(store.engine, "test") == dt.datetime(2026, 2, 3, 4, 5, 6)
    assert read_cursor(store.engine, "other") == 7
    assert read_cursor(store.engine, "never") is None


def test_a_second_run_of_the_same_sync_is_refused_while_the_first_holds_the_lock(store: Store) -> None:
    """A running sync's lock refuses a second run, naming the first, until it is released."""
    acquire_lock(store.engine, "test", "run-a")
    with pytest.raises(AlreadyRunningError, match="already running"):
        acquire_lock(store.engine, "test", "run-b")
    release_lock(store.engine, "test", "run-a")
    acquire_lock(store.engine, "test", "run-b")


def test_a_lock_left_by_a_dead_process_is_taken_over(store: Store) -> None:
    """The lock of a process that no longer exists is taken over, naming the dead run's flow run."""
    import socket
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    now = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(locks).values(
                sync_name="test",
                run_id="crashed",
                owner=f"{socket.gethostname()}:{dead.pid}",
                flow_run_id="8f1b1c2e-0000-4000-8000-000000000001",
                acquired_at=now,
                expires_at=now + dt.timedelta(hours=1),
            )
        )
    taken = acquire_lock(store.engine, "test", "next")
    assert taken is not None
    assert (taken.run_id, taken.flow_run_id) == ("crashed", "8f1b1c2e-0000-4000-8000-000000000001")


def test_outcomes_recorded_again_update_the_ledger_in_batches_and_keep_what_sakari_accepted(
    store: Store,
) -> None:
    """A failed resend keeps the accepted payload and contact id; an update replaces them; a
    contact suppressed twice leaves one opt-out row."""
    first = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A"}),
        ("2", "+14155550002", "", {"firstName": "B"}),
        ("3", "+14155550003", "", {"firstName": "C"}),
    )
    store.staging.stage("r1", first, NO_REJECTS)
    a, b, c = store.changes("r1")
    store.ledger.record(
        "r1",
        [
            ContactResult(a, Outcome.CREATED, contact_id="c1"),
            ContactResult(b, Outcome.CREATED, contact_id="c2"),
            ContactResult(c, Outcome.SUPPRESSED),
        ],
    )
    store.staging.clear()
    second = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A2"}),
        ("2", "+14155550002", "", {"firstName": "B2"}),
        ("3", "+14155550003", "", {"firstName": "C2"}),
    )
    store.staging.stage("r2", second, NO_REJECTS)
    a2, b2, c2 = store.changes("r2")
    store.ledger.record(
        "r2",
        [
            failed(a2, "EMU-FAULT-503"),
            ContactResult(b2, Outcome.UPDATED, contact_id="c2"),
            ContactResult(c2, Outcome.SUPPRESSED, contact_id="c3", blocked_at="2026-01-01"),
        ],
    )
    with store.engine.connect() as conn:
        rows = {r.mobile: r for r in conn.execute(sa.select(ledger).order_by(ledger.c.mobile))}
        opted_out = conn.execute(sa.select(optouts.c.mobile, optouts.c.contact_id)).all()
    assert (rows[a.mobile].status, rows[a.mobile].payload_hash, rows[a.mobile].contact_id) == (
        "failed",
        a.payload_hash,
        "c1",
    )
    assert (rows[a.mobile].last_error_code, rows[a.mobile].last_error) == (
        "EMU-FAULT-503",
        "Service unavailable",
    )
    assert (rows[b.mobile].status, rows[b.mobile].payload_hash) == ("synced", b2.payload_hash)
    assert (rows[c.mobile].status, rows[c.mobile].contact_id) == ("suppressed", "c3")
    assert [tuple(r) for r in opted_out] == [(c.mobile, "c3")]
    store.staging.clear()
    store.staging.stage("r3", second, NO_REJECTS)
    pending = {change.mobile: change.blocked for change in store.changes("r3")}
    assert pending == {a.mobile: False, c.mobile: True}, "the failed one is sent again; the opt-out never is"


def test_the_row_log_reads_back_as_written(store: Store) -> None:
    """The row log goes in through the driver's executemany: each column, the time included, reads
    back through SQLAlchemy as what was recorded."""
    store.staging.stage(
        "r1", valid_rows(("1", "+14155550001", "", {}), ("2", "+14155550002", "", {})), NO_REJECTS
    )
    a, b = store.changes("r1")
    before = dt.datetime.now(dt.UTC)
    store.ledger.record("r1", [ContactResult(a, Outcome.CREATED, contact_id="c1"), failed(b, "50%-off")])
    with store.engine.connect() as conn:
        logged = conn.execute(sa.select(outcomes).order_by(outcomes.c.source_key)).all()
    assert [(r.sync_name, r.run_id, r.source_key, r.mobile, r.outcome) for r in logged] == [
        ("test", "r1", "1", a.mobile, "created"),
        ("test", "r1", "2", b.mobile, "failed"),
    ]
    assert [(r.error_code, r.error) for r in logged] == [(None, None), ("50%-off", "Service unavailable")]
    for row in logged:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)  # SQLite keeps UTC, naive
        assert before - dt.timedelta(seconds=1) <= at <= dt.datetime.now(dt.UTC)
    with store.engine.connect() as conn:  # as stored: the same text (SQLite) as SQLAlchemy writes
        stored = set(conn.exec_driver_sql("SELECT at FROM sakari_outcomes").scalars())
        ledger_time = set(conn.exec_driver_sql("SELECT updated_at FROM sakari_ledger").scalars())
    assert stored == ledger_time


@given(st.permutations([("a", "+1A", "2"), ("b", "+1A", "10"), ("c", "+1A", "2"), ("d", "+1B", "")]))
@settings(max_examples=12, deadline=None)
def test_the_winner_does_not_depend_on_the_order_rows_arrive(rows: list[tuple[str, str, str]]) -> None:
    """The rule is a total order on (cursor_sort, source_key), so staging rows in any order, over any
    pages, picks the same winners."""
    store = Store(connect_state("sqlite://"))
    for key, mobile, sort in rows:  # one page per row: the rule holds across pages
        store.staging.stage("r", valid_rows((key, mobile, sort, {})), NO_REJECTS)
    store.staging.resolve_duplicates("r")
    assert sorted(c.source_key for c in store.changes("r")) == ["c", "d"]
    assert sorted(r["source_key"] for r in store.staging.rejects_for("r")) == ["a", "b"]


def test_a_newer_cursor_wins_across_time_zones() -> None:
    """10:00+02:00 is earlier than 09:00 UTC: the transform's cursor_sort makes staging pick 'old'."""
    frame = pd.DataFrame(
        {
            "id": ["old", "new"],
            "phone": ["4155550100", "+14155550100"],
            "updated": [
                dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC),
                dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            ],
        }
    )
    result = transform_chunk(
        frame, MappingConfig(mobile="phone"), PhoneConfig(), key_column="id", cursor_column="updated"
    )
    store = Store(connect_state("sqlite://"))
    store.staging.stage("r", result.valid, result.rejects)
    store.staging.resolve_duplicates("r")
    assert [c.source_key for c in store.changes("r")] == ["old"]
    [loser] = store.staging.rejects_for("r")
    assert (loser["source_key"], loser["reason"]) == ("new", "duplicate_mobile")
    assert "'old'" in loser["detail"]

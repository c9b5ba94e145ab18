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

from sakari_sync.state.lock import SyncLockedError, acquire_lock, locks, release_lock
from sakari_sync.state.schema import connect_state, decode_cursor, encode_cursor, ledger, optouts
from sakari_sync.state.store import Outcome, StateStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> StateStore:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return StateStore(connect_state(url), "test")


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


def test_duplicates_across_chunks_keep_the_greatest_cursor_then_key(store: StateStore) -> None:
    store.stage(
        "r1", valid_rows(("1", "+14155550001", "2026-01-02", {}), ("2", "+14155550002", "x", {})), NO_REJECTS
    )
    store.stage(
        "r1", valid_rows(("3", "+14155550001", "2026-01-03", {}), ("4", "+14155550002", "x", {})), NO_REJECTS
    )
    assert store.resolve_duplicates("r1") == 2
    winners = {c.source_key for batch in store.iter_changes("r1", 10) for c in batch}
    assert winners == {"3", "4"}
    rejects = store.rejects_for("r1")
    assert {(r["source_key"], r["reason"]) for r in rejects} == {
        ("1", "duplicate_mobile"),
        ("2", "duplicate_mobile"),
    }
    assert all("0001" in r["mobile_masked"] or "0002" in r["mobile_masked"] for r in rejects)
    assert not any("+1415555" in (r["detail"] or "") + (r["mobile_masked"] or "") for r in rejects)


def test_only_payloads_sakari_has_not_accepted_are_pending(store: StateStore) -> None:
    rows = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A"}), ("2", "+14155550002", "", {"firstName": "B"})
    )
    store.stage("r1", rows, NO_REJECTS)
    changes = [c for batch in store.iter_changes("r1", 1) for c in batch]
    assert [c.mobile for c in changes] == ["+14155550001", "+14155550002"], (
        "keyset pages cover every row once"
    )
    store.record_outcomes(
        "r1", [Outcome(changes[0], "created", contact_id="c1"), Outcome(changes[1], "failed", error="503")]
    )
    store.clear_staging()
    changed = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A"}), ("2", "+14155550002", "", {"firstName": "B"})
    )
    store.stage("r2", changed, NO_REJECTS)
    assert store.count_plan("r2") == {"winners": 2, "pending": 1}, (
        "the failed one is sent again, the accepted not"
    )
    store.clear_staging()
    store.stage("r3", valid_rows(("1", "+14155550001", "", {"firstName": "A2"})), NO_REJECTS)
    [[change]] = list(store.iter_changes("r3", 10))
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
    back = decode_cursor(encode_cursor(value))
    assert back == value
    assert isinstance(back, type(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value))


def test_a_second_run_of_the_same_sync_is_refused_while_the_first_holds_the_lock(store: StateStore) -> None:
    acquire_lock(store.engine, "test", "run-a")
    with pytest.raises(SyncLockedError, match="already running"):
        acquire_lock(store.engine, "test", "run-b")
    release_lock(store.engine, "test", "run-a")
    acquire_lock(store.engine, "test", "run-b")


def test_a_lock_left_by_a_dead_process_is_taken_over(store: StateStore) -> None:
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
                acquired_at=now,
                expires_at=now + dt.timedelta(hours=1),
            )
        )
    acquire_lock(store.engine, "test", "next")


def test_outcomes_recorded_again_update_the_ledger_in_batches_and_keep_what_sakari_accepted(
    store: StateStore,
) -> None:
    """A failed resend keeps the accepted payload and contact id; an update replaces them; a
    contact suppressed twice leaves one opt-out row."""
    first = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A"}),
        ("2", "+14155550002", "", {"firstName": "B"}),
        ("3", "+14155550003", "", {"firstName": "C"}),
    )
    store.stage("r1", first, NO_REJECTS)
    a, b, c = (change for batch in store.iter_changes("r1", 10) for change in batch)
    store.record_outcomes(
        "r1",
        [
            Outcome(a, "created", contact_id="c1"),
            Outcome(b, "created", contact_id="c2"),
            Outcome(c, "suppressed"),
        ],
    )
    store.clear_staging()
    second = valid_rows(
        ("1", "+14155550001", "", {"firstName": "A2"}),
        ("2", "+14155550002", "", {"firstName": "B2"}),
        ("3", "+14155550003", "", {"firstName": "C2"}),
    )
    store.stage("r2", second, NO_REJECTS)
    a2, b2, c2 = (change for batch in store.iter_changes("r2", 10) for change in batch)
    store.record_outcomes(
        "r2",
        [
            Outcome(a2, "failed", error="503"),
            Outcome(b2, "updated", contact_id="c2"),
            Outcome(c2, "suppressed", contact_id="c3", blocked_at="2026-01-01"),
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
    assert rows[a.mobile].last_error == "503"
    assert (rows[b.mobile].status, rows[b.mobile].payload_hash) == ("synced", b2.payload_hash)
    assert (rows[c.mobile].status, rows[c.mobile].contact_id) == ("suppressed", "c3")
    assert [tuple(r) for r in opted_out] == [(c.mobile, "c3")]
    store.clear_staging()
    store.stage("r3", second, NO_REJECTS)
    pending = {change.mobile: change.blocked for batch in store.iter_changes("r3", 10) for change in batch}
    assert pending == {a.mobile: False, c.mobile: True}, "the failed one is sent again; the opt-out never is"

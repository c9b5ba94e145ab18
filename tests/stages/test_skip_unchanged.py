"""Skipping unchanged rows before the transform, on its own (no Prefect, no HTTP): the rows a run sends
with the skip are exactly the rows it sends without it, whatever the edits between runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool

from sakari_sync.config import SyncParameters
from sakari_sync.outcomes import ContactResult, Outcome, Refusal, RejectKind
from sakari_sync.stages.fingerprint import Skipper, Split, fingerprints, row_hashes, settings_head
from sakari_sync.stages.transform import transform_chunk
from sakari_sync.state.known import mobile_texts
from sakari_sync.state.ledger import Ledger
from sakari_sync.state.schema import ledger, metadata, rejects, staging
from sakari_sync.state.staging import Staging

PHONES = ["(415) 555-2671", "+1 415 555 2671", "06 12 34 56 78", "+44 7400 123456", "12345", None, 4155550199]
NAMES = ["Ada", "Grace", "", None, 7, "7", "x" * 300]
EMAILS = ["ada@example.com", "not-an-email", None]
SEGMENTS = ["newsletter", "newsletter,vip", None]
COLUMNS = ("id", "phone", "country", "first_name", "email", "segments", "note", "updated_at")
T0 = dt.datetime(2026, 1, 1)


def params(*, region: str = "US", with_email: bool = True) -> SyncParameters:
    """A sync of the test frame; `region` and `with_email` are the settings an edit may change."""
    mapping: dict[str, Any] = {
        "mobile": "phone",
        "country": "country",
        "first_name": "first_name",
        "lists": {"column": "segments", "ids": {"newsletter": "a" * 24, "vip": "b" * 24}},
    }
    if with_email:
        mapping["email"] = "email"
    return SyncParameters.model_validate(
        {
            "name": "skip",
            "source": {"url": "sqlite://", "table": "t", "key_column": "id", "cursor_column": "updated_at"},
            "mapping": mapping,
            "phone": {"default_region": region},
            "sakari": {"block": "unused"},
            "state_url": "sqlite://",
        }
    )


class State:
    """One state database, run by the stage functions in the flow's order, delivering what it plans."""

    def __init__(self, skip: bool, url: str | None = None) -> None:
        """In memory (SQLite), or in the database at `url` (a fresh PostgreSQL schema)."""
        self.engine = sa.create_engine(url) if url else sa.create_engine("sqlite://", poolclass=StaticPool)
        metadata.create_all(self.engine)
        self.staging, self.ledger = Staging(self.engine, "skip"), Ledger(self.engine, "skip")
        self.skip, self.runs = skip, 0

    def run(
        self, rows: pd.DataFrame, p: SyncParameters, refuse: set[str]
    ) -> tuple[set[tuple[str, ...]], int]:
        """Stage every row (pages of 4), plan, and deliver: the contacts sent (mobile, key, payload
        hash, payload) and how many rows skipped the transform. Mobiles in `refuse` are refused by Sakari."""
        sent, skipped, _ = self.run_and_plan(rows, p, refuse)
        return sent, skipped

    def run_and_plan(
        self, rows: pd.DataFrame, p: SyncParameters, refuse: set[str]
    ) -> tuple[set[tuple[str, ...]], int, tuple[set[tuple[str, ...]], set[tuple[Any, Any]]]]:
        """`run`, and the plan it made: every winner (mobile, key, payload hash) and every row reject."""
        self.runs += 1
        run_id = f"r{self.runs}"
        self.staging.clear(rejects_too=True)
        skipper = Skipper(p, self.staging if self.skip else None, run_id, full_read=self.runs % 2 == 1)
        skipped = 0
        for start in range(0, len(rows), 4):
            split = skipper.split(rows.iloc[start : start + 4].reset_index(drop=True))
            self.stage(run_id, split, p)
            skipped += split.set_aside
        shared = skipper.shared_mobiles()  # read again by key and transformed, as the flow does
        if shared:
            again = rows[rows["id"].astype(str).isin(shared)].reset_index(drop=True)
            self.stage(run_id, skipper.without_skipping().split(again), p)
            skipped -= len(shared)
        unchanged = skipper.claimed()
        self.staging.resolve_duplicates(run_id)
        self.staging.drop_older(run_id)
        self.ledger.mark_absent(self.staging.winning_mobiles(run_id), unchanged)
        self.staging.remember_fingerprints(run_id)
        changes = [c for batch in self.staging.iter_changes(run_id, 100) for c in batch]
        plan = (
            self.winners(run_id) | self.contacts(unchanged),
            {(r["source_key"], r["reason"]) for r in self.staging.rejects_for(run_id)},
        )
        self.ledger.record(run_id, [deliver(c, refuse) for c in changes])
        # After the load, as the flow does; every run reads the whole frame.
        self.ledger.mark_contested(
            self.staging.shared_mobiles(run_id), self.staging.winning_sorts(run_id), every=True
        )
        return {(c.mobile, c.source_key, c.payload_hash, c.payload) for c in changes}, skipped, plan

    def stage(self, run_id: str, split: Split, p: SyncParameters) -> None:
        result = split.fingerprint(
            transform_chunk(split.rest, p.mapping, p.phone, key_column="id", cursor_column="updated_at")
        )
        self.staging.stage(run_id, result.valid, result.rejects)
        self.staging.add_rejects(run_id, result.field_issues, RejectKind.FIELD)

    def contacts(self, numbers: Any) -> set[tuple[str, ...]]:
        """The ledger's (mobile, key, payload hash) of the contacts found unchanged (not staged)."""
        q = sa.select(ledger.c.mobile, ledger.c.source_key, ledger.c.payload_hash).where(
            ledger.c.mobile.in_(mobile_texts(numbers.tolist()))
        )
        with self.engine.connect() as conn:
            return {tuple(r) for r in conn.execute(q)}

    def winners(self, run_id: str) -> set[tuple[str, ...]]:
        s = staging
        q = sa.select(s.c.mobile, s.c.source_key, s.c.payload_hash).where(s.c.run_id == run_id, s.c.is_winner)
        with self.engine.connect() as conn:
            return {tuple(r) for r in conn.execute(q)}


def deliver(change: Any, refuse: set[str]) -> ContactResult:
    if change.mobile in refuse:
        return ContactResult(change, Outcome.REJECTED, refusal=Refusal("CONT-001", "refused", 400))
    outcome = Outcome.UPDATED if change.known_contact_id else Outcome.CREATED
    return ContactResult(change, outcome, contact_id=change.known_contact_id or f"c{change.mobile[1:]}")


def frame(rows: dict[int, dict[str, Any]]) -> pd.DataFrame:
    """The source as `read_page` gives it: key order, object columns."""
    data = [{"id": k} | rows[k] for k in sorted(rows)]
    return pd.DataFrame(data, columns=list(COLUMNS), dtype=object)


row_values = st.fixed_dictionaries(
    {
        "phone": st.sampled_from(PHONES),
        "country": st.sampled_from(["US", "FR", None]),
        "first_name": st.sampled_from(NAMES),
        "email": st.sampled_from(EMAILS),
        "segments": st.sampled_from(SEGMENTS),
        "note": st.sampled_from(["a", "b"]),
        "updated_at": st.integers(0, 3).map(lambda m: T0 + dt.timedelta(minutes=m)),
    }
)
edit = st.one_of(
    st.tuples(st.just("set"), st.integers(1, 10), st.sampled_from(COLUMNS[1:]), st.data()),
    st.tuples(st.just("row"), st.integers(1, 12), row_values, st.none()),
    st.tuples(st.just("drop"), st.integers(1, 10), st.none(), st.none()),
    st.tuples(st.just("settings"), st.sampled_from(["US", "FR"]), st.booleans(), st.none()),
    st.tuples(st.just("refuse"), st.sampled_from(PHONES[:4]), st.booleans(), st.none()),
    st.tuples(st.just("rerun"), st.none(), st.none(), st.none()),
    st.tuples(st.just("undo"), st.integers(1, 3), st.none(), st.none()),
)
VALUES: dict[str, list[Any]] = {
    "phone": PHONES,
    "country": ["US", "FR", None],
    "first_name": NAMES,
    "email": EMAILS,
    "segments": SEGMENTS,
    "note": ["a", "b", "c"],
    "updated_at": [T0 + dt.timedelta(minutes=m) for m in range(4)],
}
E164 = {"(415) 555-2671": "+14155552671", "+1 415 555 2671": "+14155552671", "06 12 34 56 78": "+33612345678"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.dictionaries(st.integers(1, 10), row_values, min_size=1, max_size=10),
    edits=st.lists(edit, max_size=8),
)
def test_skipping_never_changes_what_is_sent(first: dict[int, dict[str, Any]], edits: list[Any]) -> None:
    """Over random edits (values, rows, duplicates, settings, refusals, undos), the skip plans and
    sends what a full transform does: the same winners, rejects and contacts sent."""
    rows = {k: dict(v) for k, v in first.items()}
    with_skip, without = State(skip=True), State(skip=False)
    p, refuse = params(), set[str]()
    history = [rows]
    for kind, a, b, c in [("rerun", None, None, None), *edits]:
        rows = {k: dict(v) for k, v in rows.items()}
        if kind == "undo":  # back to the rows of `a` runs ago: values a fingerprint has seen before
            rows = {k: dict(v) for k, v in history[max(len(history) - 1 - a, 0)].items()}
        elif kind == "set" and a in rows:
            rows[a][b] = c.draw(st.sampled_from(VALUES[b]))
        elif kind == "row":
            rows[a] = dict(b)
        elif kind == "drop":
            rows.pop(a, None)
        elif kind == "settings":
            p = params(region=a, with_email=b)
        elif kind == "refuse":
            mobile = E164.get(a, "+447400123456")
            refuse = refuse | {mobile} if b else refuse - {mobile}
        history.append(rows)
        sent, _, plan = with_skip.run_and_plan(frame(rows), p, refuse)
        expected_sent, _, expected_plan = without.run_and_plan(frame(rows), p, refuse)
        assert (sent, plan) == (expected_sent, expected_plan)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def synced(request: pytest.FixtureRequest) -> tuple[State, dict[int, dict[str, Any]]]:
    """A state (SQLite, then PostgreSQL) that delivered three rows once."""
    rows: dict[int, dict[str, Any]] = {
        1: {"phone": "(415) 555-2671", "country": "US", "first_name": "Ada", "email": "ada@example.com",
            "segments": "vip", "note": "a", "updated_at": T0},
        2: {"phone": "06 12 34 56 78", "country": "FR", "first_name": "Émile", "email": None,
            "segments": None, "note": "a", "updated_at": T0},
        3: {"phone": "+44 7400 123456", "country": None, "first_name": "Grace", "email": "not-an-email",
            "segments": None, "note": "a", "updated_at": T0},
    }  # fmt: skip
    state = State(
        skip=True, url=request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    )
    sent, skipped = state.run(frame(rows), params(), set())
    assert (len(sent), skipped) == (3, 0)
    return state, rows


def test_a_rerun_skips_every_row_and_reports_the_field_left_out_again(synced: Any) -> None:
    """Unchanged rows skip the transform, the one with a bad email too: its issue is taken over."""
    state, rows = synced
    sent, skipped, (_, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert (sent, skipped) == (set(), 3)
    assert ("3", "bad_email") in rejected


def test_a_row_that_left_a_field_out_is_transformed_when_its_issue_is_not_on_record(synced: Any) -> None:
    """Without the last run's record of the field left out, the row goes through the transform, so the
    issue is found and reported again rather than lost."""
    state, rows = synced
    with state.engine.begin() as conn:
        conn.execute(rejects.delete())
    sent, skipped, (_, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert (sent, skipped) == (set(), 2)
    assert ("3", "bad_email") in rejected


def test_rows_sharing_a_mobile_skip_and_keep_their_winner(synced: Any) -> None:
    """Two rows with one mobile: the rerun plans the same winner and duplicate reject without a
    transform (the winner staged as the ledger holds it, the loser as the last run staged it); when the
    loser's cursor moves past the winner's, it wins and its payload is sent."""
    state, rows = synced
    rows[5] = rows[1] | {
        "phone": "+1 415 555 2671",
        "first_name": "Ada twin",
        "updated_at": T0 - dt.timedelta(1),
    }
    state.run(frame(rows), params(), set())
    sent, skipped, (winners, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert (sent, skipped) == (set(), 4)
    assert ("+14155552671", "1") in {(m, k) for m, k, _ in winners}
    assert ("5", "duplicate_mobile") in rejected
    rows[5]["updated_at"] = T0 + dt.timedelta(1)
    sent, skipped, (_, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert skipped == 4  # the loser's values did not change, only its cursor
    assert [(m, k, '"Ada twin"' in p) for m, k, _, p in sent] == [("+14155552671", "5", True)]
    assert ("1", "duplicate_mobile") in rejected


def test_an_unmapped_column_or_the_cursor_changing_sends_nothing_and_still_skips(synced: Any) -> None:
    """Edits to columns the mapping does not read leave the fingerprint as it was."""
    state, rows = synced
    for row in rows.values():
        row["note"], row["updated_at"] = "b", T0 + dt.timedelta(days=1)
    assert state.run(frame(rows), params(), set()) == (set(), 3)


def test_a_mapped_value_changing_sends_that_contact_alone(synced: Any) -> None:
    """One first name edited: that row is transformed and sent, the other unchanged row skips."""
    state, rows = synced
    rows[2]["first_name"] = "Emile"
    sent, skipped = state.run(frame(rows), params(), set())
    assert [(mobile, key) for mobile, key, *_ in sent] == [("+33612345678", "2")]
    assert skipped == 2


def test_new_settings_transform_every_row(synced: Any) -> None:
    """A mapping change (email unmapped) fingerprints differently: nothing skips, changed payloads go."""
    state, rows = synced
    sent, skipped = state.run(frame(rows), params(with_email=False), set())
    assert skipped == 0
    assert {key for _, key, *_ in sent} == {"1"}  # only Ada's payload had an email to lose


def test_a_refused_contact_is_never_skipped(synced: Any) -> None:
    """A contact Sakari refused is sent again by the next run although its row did not change."""
    state, rows = synced
    rows[1]["first_name"] = "Ada L."
    assert {key for _, key, *_ in state.run(frame(rows), params(), {"+14155552671"})[0]} == {"1"}
    sent, skipped = state.run(frame(rows), params(), set())
    assert ({key for _, key, *_ in sent}, skipped) == ({"1"}, 2)


def row_fingerprints(rows: pd.DataFrame, columns: list[str], settings: str) -> list[str]:
    """Each row's fingerprint as the ledger stores it."""
    return fingerprints(row_hashes(rows, columns), settings_head(settings))


def test_row_fingerprints_tell_types_and_values_apart() -> None:
    """1 and "1" differ, None and a missing value agree, and the settings prefix every fingerprint."""
    frame_ = pd.DataFrame({"a": pd.Series([1, "1", None, 1.5], dtype=object)})
    one, text, none, half = row_fingerprints(frame_, ["a"], "f" * 64)
    assert len({one, text, none, half}) == 4
    assert all(p.startswith("f" * 16) for p in (one, text, none, half))
    assert row_fingerprints(frame_, ["a"], "e" * 64)[0] != one
    ints = pd.DataFrame({"a": pd.Series([1, None], dtype=object)})
    assert row_fingerprints(ints, ["a"], "f" * 64) == row_fingerprints(ints.copy(), ["a"], "f" * 64)


def test_a_row_back_after_it_was_gone_is_sent_again_whole(synced: Any) -> None:
    """A row that left the source (its contact marked absent) and comes back unchanged is sent whole."""
    state, rows = synced
    gone = rows.pop(2)
    state.run(frame(rows), params(), set())
    sent, _ = state.run(frame(rows | {2: gone}), params(), set())
    assert [(key, bool(payload)) for _, key, _, payload in sent] == [("2", True)]


def test_a_refused_row_put_back_as_it_was_accepted_is_sent_again_whole(synced: Any) -> None:
    """Refused after an edit, then edited back to what Sakari once accepted: pending, sent whole."""
    state, rows = synced
    rows[1]["first_name"] = "Ada L."
    state.run(frame(rows), params(), {"+14155552671"})
    rows[1]["first_name"] = "Ada"
    sent, _ = state.run(frame(rows), params(), set())
    assert [(key, bool(payload)) for _, key, _, payload in sent] == [("1", True)]


def test_a_row_rejected_for_its_phone_keeps_its_reject_without_a_transform_until_it_changes(
    synced: Any,
) -> None:
    """The last run's reject of an unchanged row is taken over as this run's; a fixed phone is sent."""
    state, rows = synced
    rows[4] = rows[1] | {"phone": "12345", "first_name": "Bad"}
    state.run(frame(rows), params(), set())
    sent, skipped, (_, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert (sent, skipped) == (set(), 4)  # three known contacts and the known reject
    assert ("4", "invalid_phone") in rejected or ("4", "unparseable_phone") in rejected
    rows[4]["phone"] = "+1 212 555 0100"
    sent, _, (_, rejected) = state.run_and_plan(frame(rows), params(), set())
    assert [key for _, key, *_ in sent] == ["4"]
    assert not any(key == "4" for key, _ in rejected)

"""Reconcile's rules on their own (no Prefect, no HTTP): what counts as drift, and what each finding
leads to."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sakari_client.models import Contact
from sakari_sync.outcomes import Change, LedgerStatus
from sakari_sync.stages.reconcile_rules import (
    Expected,
    Finding,
    Mode,
    ReconcileReport,
    Scope,
    choose_mode,
    diff_fields,
    full_read_due,
    judge,
    next_full_read,
)

MOBILE = "+14155550123"
SENT: dict[str, Any] = {
    "mobile": {"number": MOBILE, "country": "US"},
    "firstName": "Ada",
    "attributes": {"plan": "pro", "ltv": 12.5},
    "lists": [{"id": "news"}],
}


def contact(**fields: Any) -> Contact:
    base: dict[str, Any] = {
        "id": "c1",
        "mobile": {"number": MOBILE},
        "firstName": "Ada",
        "attributes": {"plan": "pro", "ltv": 12.5},
        "lists": [{"id": "news"}],
    }
    return Contact.model_validate(base | fields)


def expected(*, blocked: bool = False, status: str = LedgerStatus.SYNCED) -> Expected:
    payload = json.dumps(SENT)
    return Expected(Change(MOBILE, "7", payload, "h", "c1", payload, blocked), "c1", status)


def test_a_contact_as_sent_shows_no_drift() -> None:
    """Equal fields, attributes and lists: nothing differs."""
    assert diff_fields(SENT, contact()) == []


def test_attributes_read_back_as_text_are_no_drift() -> None:
    """A CSV import stores 12.5 as "12.5": the same value, not an edit."""
    assert diff_fields(SENT, contact(attributes={"plan": "pro", "ltv": "12.5"})) == []


def test_edited_fields_missing_lists_and_changed_attributes_are_named() -> None:
    """Each field that differs is named once; extra lists in Sakari are not drift."""
    edited = contact(firstName="Eve", attributes={"plan": "free", "ltv": 12.5}, lists=[{"id": "vip"}])
    assert diff_fields(SENT, edited) == ["firstName", "attributes.plan", "lists"]
    assert diff_fields(SENT, contact(lists=[{"id": "news"}, {"id": "vip"}])) == []


def test_judge_repairs_a_missing_or_drifted_contact_and_reports_it() -> None:
    """Missing and drifted contacts come back as the change to send; each finding is counted."""
    report = ReconcileReport()
    assert judge(expected(), None, report) is not None
    assert judge(expected(), contact(firstName="Eve"), report) is not None
    assert judge(expected(), contact(), report) is None
    assert (report.counts[Finding.MISSING], report.counts[Finding.DRIFTED]) == (1, 1)
    assert report.samples[Finding.DRIFTED][0]["detail"] == "firstName"
    assert MOBILE not in json.dumps(report.samples), "samples are masked"


def test_judge_never_repairs_an_opted_out_contact() -> None:
    """Blocked in Sakari or known as an opt-out: reported, never sent, whatever else differs."""
    report = ReconcileReport()
    assert judge(expected(blocked=True), None, report) is None
    assert judge(expected(), contact(blocked="2026-01-01T00:00:00.000Z", firstName="Eve"), report) is None
    assert report.counts[Finding.BLOCKED] == 2


def test_judge_reports_contacts_not_in_the_source_and_leaves_them_alone() -> None:
    """A contact the ledger does not know, or whose source row is gone, is an extra: never touched."""
    report = ReconcileReport()
    assert judge(None, contact(), report) is None
    assert judge(expected(status=LedgerStatus.ABSENT), contact(firstName="Eve"), report) is None
    assert report.counts[Finding.EXTRA] == 2


def test_the_cheaper_read_back_is_chosen() -> None:
    """One GET per touched contact only when that is fewer requests than listing the account."""
    assert choose_mode(5, 10_000) is Mode.GET
    assert choose_mode(200, 10_000) is Mode.LIST
    assert choose_mode(0, 10_000) is Mode.LIST


AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_a_full_read_is_due_once_the_cadence_has_passed() -> None:
    """Due at once when never done, then again only once the hours have passed."""
    assert full_read_due(None, 24, AT)
    assert not full_read_due(AT - dt.timedelta(hours=12), 24, AT)
    assert full_read_due(AT - dt.timedelta(hours=24), 24, AT)
    assert full_read_due(AT, 0, AT), "0 hours: every run"


def test_a_run_on_the_same_schedule_a_little_early_still_reads_the_account() -> None:
    """A nightly run that starts seconds before 24 hours have passed is on time; hours early is not."""
    assert full_read_due(AT - dt.timedelta(hours=23, minutes=59, seconds=50), 24, AT)
    assert not full_read_due(AT - dt.timedelta(hours=22, minutes=59), 24, AT), "an hour's grace at most"
    assert full_read_due(AT - dt.timedelta(minutes=57), 1, AT), "5% of a short interval"
    assert not full_read_due(AT - dt.timedelta(minutes=56), 1, AT)


def test_without_a_cadence_a_full_read_is_never_due() -> None:
    """None: a run never lists the account for the cadence's sake, even if it never did."""
    assert not full_read_due(None, None, AT)
    assert not full_read_due(AT - dt.timedelta(days=365), None, AT)
    assert next_full_read(AT, None) is None


def test_the_next_full_read_is_the_last_one_plus_the_cadence_less_its_grace() -> None:
    """The report's due time counts from the last full read; from then on a run reads the account."""
    assert next_full_read(AT, 24) == AT + dt.timedelta(hours=23)
    assert next_full_read(AT, 1) == AT + dt.timedelta(minutes=57)
    assert next_full_read(None, 24) is None


def test_the_report_entry_names_scope_mode_cost_and_next_full_read() -> None:
    """The run report's `reconcile` entry says what was read, how, at what cost, and when next."""
    report = ReconcileReport()
    assert report.summary() | {"next_full_read": "x"} == {
        "scope": "none",
        "mode": "none",
        "checked": 0,
        "requests": 0,
        "missing": 0,
        "drifted": 0,
        "blocked": 0,
        "extra": 0,
        "repaired": 0,
        "next_full_read": "x",
    }
    read = ReconcileReport(scope=Scope.TOUCHED, mode=Mode.GET, checked=3, requests=3, next_full_read=AT)
    assert (read.summary()["scope"], read.summary()["mode"]) == ("touched", "get")
    assert read.summary()["next_full_read"] == "2026-03-01T12:00:00+00:00"
    assert ReconcileReport().summary()["next_full_read"] is None

"""The load's breaker on its own: which outcome patterns stop a load, and which never do."""

from __future__ import annotations

from sakari_sync.stages.load import Breaker, ConfigurationRefusedError, SakariUnavailableError
from sakari_sync.state.store import Change, Outcome

CHANGE = Change("+14155550100", "1", "{}", "h", None, None, False)


def outcome(status: str, error: str | None = None) -> Outcome:
    return Outcome(CHANGE, status, error=error)


def test_failures_in_a_row_stop_the_load_and_a_success_resets_the_count() -> None:
    breaker = Breaker.for_load(pending=1000)
    for _ in range(9):
        breaker.note(outcome("failed", "EMU-FAULT-503: down"))
    breaker.note(outcome("created"))
    for _ in range(9):
        breaker.note(outcome("failed", "EMU-FAULT-503: down"))
    assert breaker.error is None
    breaker.note(outcome("failed", "EMU-FAULT-503: down"))
    assert isinstance(breaker.error, SakariUnavailableError)
    assert breaker.stopped.is_set()


def test_a_small_run_stops_when_every_contact_failed() -> None:
    breaker = Breaker.for_load(pending=3)
    for _ in range(3):
        breaker.note(outcome("failed", "503: down"))
    assert isinstance(breaker.error, SakariUnavailableError)
    assert "for 3 contacts in a row" in str(breaker.error)


def test_the_same_refusal_for_the_first_contacts_stops_the_load_naming_the_list() -> None:
    breaker = Breaker.for_load(pending=500)
    for _ in range(10):
        breaker.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
    assert isinstance(breaker.error, ConfigurationRefusedError)
    assert "Unknown list id: abc" in str(breaker.error)
    assert "check the list ids in mapping.lists" in str(breaker.error)


def test_refusals_are_per_contact_once_one_contact_was_accepted_or_when_codes_differ() -> None:
    after_success = Breaker.for_load(pending=500)
    after_success.note(outcome("created"))
    mixed = Breaker.for_load(pending=500)
    mixed.note(outcome("rejected", "EMU-X: one thing"))
    for _ in range(20):
        after_success.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
        mixed.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
    assert (after_success.error, mixed.error) == (None, None)


def test_an_invalid_number_is_never_a_reason_to_stop() -> None:
    breaker = Breaker.for_load(pending=5)
    for _ in range(5):
        breaker.note(outcome("rejected", "CONT-001: Invalid mobile number"))
    assert breaker.error is None


def test_suppressed_contacts_neither_reset_nor_count_as_refusals() -> None:
    breaker = Breaker.for_load(pending=3)
    breaker.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
    breaker.note(outcome("suppressed"))
    breaker.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
    assert breaker.error is None
    breaker.note(outcome("rejected", "EMU-LIST-UNKNOWN: Unknown list id: abc"))
    assert isinstance(breaker.error, ConfigurationRefusedError)

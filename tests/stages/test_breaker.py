"""The load's breaker on its own: which result patterns stop a load, and which never do."""

from __future__ import annotations

import json

from sakari_sync.errors import ConfigurationRefusedError, SakariUnavailableError
from sakari_sync.outcomes import Change, ContactResult, Outcome, Refusal
from sakari_sync.stages.breaker import Breaker


def change(key: int, lists: tuple[str, ...] = ()) -> Change:
    body: dict[str, object] = {"mobile": {"number": f"+1415555{key:04d}"}}
    if lists:
        body["lists"] = [{"id": i} for i in lists]
    return Change(f"+1415555{key:04d}", str(key), json.dumps(body), "h", None, None, False)


def result(
    outcome: Outcome, code: str | None = None, key: int = 1, lists: tuple[str, ...] = ()
) -> ContactResult:
    refusal = (
        Refusal(code, "Unknown list id" if code == "EMU-LIST-UNKNOWN" else "down", 400) if code else None
    )
    return ContactResult(change(key, lists), outcome, refusal=refusal)


def test_failures_in_a_row_stop_the_load_and_a_success_resets_the_count() -> None:
    """Ten failures in a row (each after its retries) mean Sakari is down; one success resets that."""
    breaker = Breaker.for_load(pending=1000, endpoint="http://127.0.0.1:9/v1/accounts/a")
    for _ in range(9):
        breaker.note(result(Outcome.FAILED, "EMU-FAULT-503"))
    breaker.note(result(Outcome.CREATED))
    for _ in range(9):
        breaker.note(result(Outcome.FAILED, "EMU-FAULT-503"))
    assert breaker.error is None
    breaker.note(result(Outcome.FAILED, "EMU-FAULT-503"))
    assert isinstance(breaker.error, SakariUnavailableError)
    assert "Sakari at http://127.0.0.1:9/v1/accounts/a kept failing" in str(breaker.error)
    assert breaker.stopped.is_set()


def test_a_small_run_stops_when_every_contact_failed() -> None:
    """With fewer contacts than the threshold, all of them failing trips the breaker."""
    breaker = Breaker.for_load(pending=3)
    for _ in range(3):
        breaker.note(result(Outcome.FAILED))
    assert isinstance(breaker.error, SakariUnavailableError)
    assert "for 3 contacts in a row" in str(breaker.error)


def test_one_wrong_list_among_accepted_contacts_stops_the_load_naming_the_list() -> None:
    """A code repeating in the recent window stops the load even when most contacts are accepted,
    and the line names the list id every refused contact carries and no accepted one does."""
    breaker = Breaker.for_load(pending=5000)
    for key in range(200):
        if key % 4 == 0:
            breaker.note(result(Outcome.REJECTED, "EMU-LIST-UNKNOWN", key, lists=("good", "wrong")))
        else:
            breaker.note(result(Outcome.CREATED, key=key, lists=("good",)))
        if breaker.error:
            break
    assert isinstance(breaker.error, ConfigurationRefusedError)
    assert key < 50, "it stops once the code repeats, not at the end"
    assert "mapping.lists.ids" in str(breaker.error)
    assert "list id wrong" in str(breaker.error)


def test_a_known_code_names_its_setting_when_the_contacts_share_no_list() -> None:
    """Without a list id in common, a code whose setting is known still names it."""
    breaker = Breaker.for_load(pending=500)
    for key in range(10):
        breaker.note(result(Outcome.REJECTED, "EMU-LIST-UNKNOWN", key, lists=(f"l{key}",)))
    assert isinstance(breaker.error, ConfigurationRefusedError)
    assert "check mapping.lists.ids" in str(breaker.error)


def test_refusals_spread_thinner_than_the_window_never_stop_the_load() -> None:
    """One refusal in every 20 contacts is a data problem of a few contacts, not the setup."""
    breaker = Breaker.for_load(pending=5000)
    for key in range(2000):
        code = "EMU-X" if key % 20 == 0 else None
        breaker.note(result(Outcome.REJECTED if code else Outcome.CREATED, code, key))
    assert breaker.error is None


def test_different_codes_do_not_add_up() -> None:
    """Nine refusals each of two codes: neither repeats enough to stop the load."""
    breaker = Breaker.for_load(pending=500)
    for key in range(9):
        breaker.note(result(Outcome.REJECTED, "EMU-A", key))
        breaker.note(result(Outcome.REJECTED, "EMU-B", key))
    assert breaker.error is None


def test_an_invalid_number_or_an_opt_out_is_never_a_reason_to_stop() -> None:
    """CONT-001 (this number) and CONT-010 (this person opted out) judge one contact, not the setup."""
    breaker = Breaker.for_load(pending=50)
    for key in range(50):
        breaker.note(result(Outcome.REJECTED, "CONT-001", key))
        breaker.note(result(Outcome.SUPPRESSED, key=key))
    assert breaker.error is None

"""The load's circuit breaker: it stops a load when going on cannot help.

Shared by the batches in flight, it watches every contact's result and stops the load when:
- **Sakari is down**: `FAILURES_TO_TRIP` contacts in a row failed, each after the client's whole retry
  budget (`sakari.retry_attempts`, `sakari.retry_timeout`), with no success in between;
- **Sakari refuses the setup**: the same error code came back for `REFUSALS_TO_TRIP` of the last
  `WINDOW` contacts (a wrong list id refuses every contact in that list, however many others are
  accepted around them). Codes that judge one contact's data (`PER_CONTACT_CODES`) never count;
- **a fatal error** (401, 403, a malformed answer) arrives in any send.

A run with fewer pending contacts than a threshold trips when all of them fail, or are refused
alike. The error names the setting to fix where the refused contacts show it (a list id they all
carry and no accepted contact does), else the code and Sakari's message.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque

from sakari_sync.errors import ConfigurationRefusedError, SakariUnavailableError
from sakari_sync.outcomes import ContactResult, Outcome

FAILURES_TO_TRIP = 10
REFUSALS_TO_TRIP = 10
WINDOW = 100
PER_CONTACT_CODES = frozenset({"CONT-001", "CONT-010"})  # Sakari's verdicts on one contact's data
_SETTINGS = {"EMU-LIST-UNKNOWN": "mapping.lists.ids"}  # codes whose setting is known
_KEEP = 20  # refused contacts kept per code, to tell what they have in common


class Breaker:
    """Watches the results of one load and stops it when going on cannot help (None = rule off)."""

    def __init__(
        self,
        *,
        failures_to_trip: int | None = None,
        refusals_to_trip: int | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.failures_to_trip = failures_to_trip
        self.refusals_to_trip = refusals_to_trip
        self.endpoint = endpoint
        self.failures_in_a_row = 0
        self.window: deque[str | None] = deque(maxlen=WINDOW)  # a refusal's code, or None
        self.refused: dict[str, list[ContactResult]] = {}
        self.accepted: deque[ContactResult] = deque(maxlen=WINDOW)  # recent accepted contacts with lists
        self.error: Exception | None = None
        self.stopped = asyncio.Event()

    @classmethod
    def for_load(cls, pending: int, endpoint: str | None = None) -> Breaker:
        """The load's breaker, every rule on, its thresholds no larger than the load."""
        few = max(1, pending)
        return cls(
            failures_to_trip=min(FAILURES_TO_TRIP, few),
            refusals_to_trip=min(REFUSALS_TO_TRIP, few),
            endpoint=endpoint,
        )

    def stop(self, error: Exception) -> None:
        """Stop the load (the first reason given is the one reported)."""
        if self.error is None:
            self.error = error
        self.stopped.set()

    def note(self, result: ContactResult) -> None:
        """Count one contact's result, and stop if it completes a pattern that says give up."""
        if result.outcome is Outcome.FAILED:
            self.failures_in_a_row += 1
            if self.failures_to_trip is not None and self.failures_in_a_row >= self.failures_to_trip:
                self.stop(self._unavailable(result))
            return
        self.failures_in_a_row = 0
        code = result.refusal.code if result.outcome is Outcome.REJECTED and result.refusal else None
        if code in PER_CONTACT_CODES:
            code = None
        self.window.append(code)
        if code is None:
            if result.outcome in (Outcome.CREATED, Outcome.UPDATED) and '"lists"' in result.change.payload:
                self.accepted.append(result)
            return
        kept = self.refused.setdefault(code, [])
        if len(kept) < _KEEP:
            kept.append(result)
        repeats = sum(1 for c in self.window if c == code)
        if self.refusals_to_trip is not None and repeats >= self.refusals_to_trip:
            self.stop(self._refused(code, repeats))

    def _unavailable(self, result: ContactResult) -> SakariUnavailableError:
        why = result.refusal.message if result.refusal else "no answer"
        where = f"Sakari at {self.endpoint}" if self.endpoint else "Sakari"
        return SakariUnavailableError(
            f"{where} kept failing ({why}) for {_contacts(self.failures_in_a_row)} in a row, each after all "
            "its retries; the load stopped and the contacts not sent stay pending for the next run: check "
            "that Sakari is up and reachable, then run again"
        )

    def _refused(self, code: str, repeats: int) -> ConfigurationRefusedError:
        results = self.refused[code]
        message = results[-1].refusal.message if results[-1].refusal else ""
        accepted = {i for r in self.accepted for i in _list_ids(r)}
        lists = set.intersection(*(set(_list_ids(r)) for r in results)) - accepted
        if lists:
            fix = f"check mapping.lists.ids: every refused contact joins list id {', '.join(sorted(lists))}"
        elif code in _SETTINGS:
            fix = f"check {_SETTINGS[code]}"
        else:
            fix = "check the sync's mapping (mapping.lists.ids, mapping.attributes) and the Sakari account"
        seen = len(self.window)
        return ConfigurationRefusedError(
            f"Sakari refused {repeats} of the last {_contacts(seen)} with {code} ({message}); that is the "
            f"setup, not the data: {fix}, then run again (the contacts not sent stay pending)"
        )


def _list_ids(result: ContactResult) -> list[str]:
    """The list ids a contact's payload joins (parsed only when the breaker trips)."""
    if '"lists"' not in result.change.payload:
        return []
    lists = json.loads(result.change.payload).get("lists") or []
    return [str(item.get("id")) for item in lists if isinstance(item, dict)]


def _contacts(n: int) -> str:
    return "1 contact" if n == 1 else f"{n} contacts"

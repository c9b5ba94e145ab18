"""The pipeline's vocabularies, each defined once, and the records that carry them between stages.

- `Outcome`: what one run did with one contact it sent (or chose not to send).
- `LedgerStatus`: what the state database remembers of a mobile between runs.
- `Change`: a staged contact whose payload Sakari has not accepted yet (read from the state database).
- `Refusal`: Sakari's reason for refusing, or failing to take, one contact (its code and message).
- `ContactResult`: one contact's outcome, with Sakari's contact id, refusal and opt-out time.

Nothing here does I/O: the state database, the load stage and the report all speak these types.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a contact a run planned to send."""

    CREATED = "created"
    UPDATED = "updated"
    SUPPRESSED = "suppressed"  # opted out: nothing was sent, or Sakari answered CONT-010
    REJECTED = "rejected"  # Sakari refused this contact; its code and message are kept
    FAILED = "failed"  # transient errors outlasted the retries; sent again next run

    @property
    def accepted(self) -> bool:
        """Sakari took the payload (the ledger remembers it, and it is not sent again unchanged)."""
        return self in (Outcome.CREATED, Outcome.UPDATED, Outcome.SUPPRESSED)


class LedgerStatus(StrEnum):
    """A mobile's standing in the ledger between runs."""

    SYNCED = "synced"  # Sakari holds the payload the ledger remembers
    SUPPRESSED = "suppressed"  # the person opted out; never sent again
    REJECTED = "rejected"  # Sakari refused the last payload: pending, sent again
    FAILED = "failed"  # the last attempt did not reach Sakari: pending, sent again
    ABSENT = "absent"  # a full read found no source row for this mobile any more

    @classmethod
    def after(cls, outcome: Outcome) -> LedgerStatus:
        """The status a contact is left in by this outcome."""
        return {
            Outcome.CREATED: cls.SYNCED,
            Outcome.UPDATED: cls.SYNCED,
            Outcome.SUPPRESSED: cls.SUPPRESSED,
            Outcome.REJECTED: cls.REJECTED,
            Outcome.FAILED: cls.FAILED,
        }[outcome]


SETTLED = (LedgerStatus.SYNCED,)
"""Statuses whose payload is not planned again while it is unchanged. A known opt-out always is: the
run sends it nothing and counts it as suppressed."""

PENDING = (LedgerStatus.REJECTED, LedgerStatus.FAILED)
"""Statuses of contacts not delivered yet: the next run reads their rows again and sends them."""

STAGED_COLUMNS = ("source_key", "mobile", "cursor_sort", "payload", "payload_hash")
"""What the transform hands to staging for each valid row."""
REJECT_COLUMNS = ("source_key", "reason", "detail", "mobile_masked")
"""What every reject carries: the source key ("" when missing), a reason code, a detail free of
private data, and the mobile masked to its last four digits."""
DUPLICATE_MOBILE = "duplicate_mobile"
"""The reject reason of a row that shares its mobile with a row that wins (see state/staging.py)."""


class RejectKind(StrEnum):
    """What a row of `sakari_rejects` records."""

    ROW = "row"  # the transform rejected the row (or it lost to a duplicate): nothing was sent
    SAKARI = "sakari"  # Sakari refused the contact: pending, sent again next run
    FAILED = "failed"  # Sakari could not be reached for the contact: pending, sent again next run
    FIELD = "field"  # one optional field was left out; the contact itself was sent


@dataclass(frozen=True, slots=True)
class Change:
    """A staged winner whose payload Sakari has not accepted yet."""

    mobile: str
    source_key: str
    payload: str  # the canonical JSON of the create body, as hashed
    payload_hash: str
    known_contact_id: str | None  # Sakari's id when the ledger already knows the mobile
    previous_payload: str | None  # the payload Sakari last accepted, if any
    blocked: bool  # a known opt-out: nothing is sent
    source_fingerprint: str | None = None  # of the source values the payload was built from

    def __repr__(self) -> str:  # the payload and mobile hold a phone number: keep them out of logs
        return f"Change(source_key={self.source_key!r})"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why Sakari refused or could not take one contact: its error code (None when it gave none),
    its message (already redacted by the client) and the HTTP status (None when no answer came)."""

    code: str | None
    message: str
    status: int | None = None

    @property
    def reason(self) -> str:
        """The reject reason a report files it under: `sakari:<code>` (or the status without one)."""
        return f"sakari:{self.code or self.status or 'no-code'}"


@dataclass(frozen=True, slots=True)
class ContactResult:
    """What happened to one contact in a batch."""

    change: Change
    outcome: Outcome
    contact_id: str | None = None
    refusal: Refusal | None = None
    blocked_at: str | None = None

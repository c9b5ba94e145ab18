"""The bulk path's rules on their own: how an upload's answer is matched to rows."""

from __future__ import annotations

import json

from sakari_client.models import BulkUploadResult
from sakari_sync.outcomes import Change, Outcome
from sakari_sync.stages.bulk import results_of_upload


def change(n: int) -> Change:
    mobile = f"+1415555{n:04d}"
    return Change(mobile, str(n), json.dumps({"mobile": {"number": mobile}}), "h", None, None, False)


def test_rows_named_in_errors_are_rejected_and_the_rest_take_the_contacts_in_order() -> None:
    """Row numbers count from 1; accepted rows take the answer's contacts in order."""
    answer = BulkUploadResult.model_validate(
        {
            "submitted": 3,
            "errors": [{"row": 2, "code": "CONT-001", "description": "Invalid mobile number"}],
            "contacts": [{"id": "a", "mobile": {"number": "+14155550001"}}, {"id": "c"}],
        }
    )
    results = results_of_upload([change(1), change(2), change(3)], answer)
    assert [(r.outcome, r.contact_id) for r in results] == [
        (Outcome.CREATED, "a"),
        (Outcome.REJECTED, None),
        (Outcome.CREATED, "c"),
    ]
    refusal = results[1].refusal
    assert refusal is not None
    assert (refusal.code, refusal.reason) == ("CONT-001", "sakari:CONT-001")

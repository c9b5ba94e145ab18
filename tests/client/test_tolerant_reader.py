"""Answers in the shapes Sakari's two descriptions allow, which the emulator does not produce:
pagination without `hasNext` or `totalCount`, contacts without ids, errors without codes, and CSV
upload answers whose errors are contacts or have no row. `httpx.MockTransport` plays each one."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from sakari_client import (
    ContactIn,
    ContactRejectedError,
    MalformedResponseError,
    MobileIn,
    UnconfirmedContactError,
)
from tests.client.mocks import CONTACT, api, client_for, ok, page, person

BODY = ContactIn(mobile=MobileIn(number="+14155550123", country="US"), firstName="Ada")


async def listed(answers: list[httpx.Response], page_size: int = 2) -> tuple[list[str], list[httpx.Request]]:
    """The ids a listing yields from `answers`, and the requests it sent."""
    seen: list[httpx.Request] = []
    async with client_for(api(answers, seen)) as client:
        ids = [c.id or "?" async for c in client.list_contacts(page_size=page_size)]
    return ids, seen


def offsets(requests: list[httpx.Request]) -> list[str]:
    return [r.url.params["offset"] for r in requests]


async def test_without_has_next_the_listing_pages_on_by_total_count() -> None:
    """OpenAPI pagination (`totalCount`, `limit`, `offset`): pages until offset + count reaches the total."""
    answers = [
        page([person(1), person(2)], totalCount=5, limit=2, offset=0),
        page([person(3), person(4)], totalCount=5, limit=2, offset=2),
        page([person(5)], totalCount=5, limit=2, offset=4),
    ]
    ids, requests = await listed(answers)
    assert ids == ["p1", "p2", "p3", "p4", "p5"]
    assert offsets(requests) == ["0", "2", "4"]


async def test_with_neither_has_next_nor_total_count_full_pages_mean_more() -> None:
    """With no pagination at all, the listing goes on while pages are full and stops at a short one."""
    answers = [page([person(1), person(2)]), page([person(3), person(4)]), page([person(5)])]
    ids, requests = await listed(answers)
    assert ids == ["p1", "p2", "p3", "p4", "p5"]
    assert len(requests) == 3


async def test_with_neither_field_an_empty_page_ends_an_exact_multiple() -> None:
    """Four contacts in pages of two, no pagination: the third, empty page ends the listing."""
    answers = [page([person(1), person(2)]), page([person(3), person(4)]), page([])]
    ids, requests = await listed(answers)
    assert ids == ["p1", "p2", "p3", "p4"]
    assert offsets(requests) == ["0", "2", "4"]


async def test_a_server_limit_below_the_page_size_still_counts_as_a_full_page() -> None:
    """Asked for 100, a server sending 2 a page (`limit: 2`) is paged through, not stopped after page one."""
    answers = [page([person(1), person(2)], limit=2), page([person(3)], limit=2)]
    ids, _ = await listed(answers, page_size=100)
    assert ids == ["p1", "p2", "p3"]


async def test_has_next_false_but_a_larger_total_count_is_trusted_until_an_empty_page() -> None:
    """`hasNext: false` with `totalCount` saying more: the larger claim wins, bounded by an empty page."""
    answers = [
        page([person(1), person(2)], hasNext=False, totalCount=6),
        page([person(3), person(4)], hasNext=False, totalCount=6),
        page([], hasNext=False, totalCount=6),
    ]
    ids, requests = await listed(answers)
    assert ids == ["p1", "p2", "p3", "p4"]
    assert len(requests) == 3


async def test_has_next_false_and_total_count_reached_stops_at_once() -> None:
    """When both fields agree there is no more, no further page is asked for."""
    ids, requests = await listed([page([person(1)], hasNext=False, totalCount=1)])
    assert (ids, len(requests)) == (["p1"], 1)


async def test_a_server_repeating_the_same_page_is_an_error_not_an_endless_loop() -> None:
    """A server ignoring `offset` (the same full page again) raises after two pages, listing each once."""
    answers = [page([person(1), person(2)], hasNext=True) for _ in range(50)]
    seen: list[httpx.Request] = []
    listed_ids: list[str | None] = []

    async def drain() -> None:
        async for contact in client.list_contacts(page_size=2):
            listed_ids.append(contact.id)

    async with client_for(api(answers, seen)) as client:
        with pytest.raises(MalformedResponseError, match="repeats contacts already listed"):
            await drain()
    assert listed_ids == ["p1", "p2"]
    assert len(seen) == 2


async def test_a_shifted_page_lists_each_contact_once() -> None:
    """A page overlapping the previous one (a write moved the rows) yields only the new contacts."""
    answers = [
        page([person(1), person(2)], totalCount=4),
        page([person(2), person(3)], totalCount=4),
        page([]),
    ]
    ids, _ = await listed(answers)
    assert ids == ["p1", "p2", "p3"]


async def test_count_reads_total_count_in_one_request() -> None:
    """`count_contacts` is one request with `limit=1` when the answer carries `totalCount`."""
    seen: list[httpx.Request] = []
    async with client_for(api([page([person(1)], totalCount=1234)], seen)) as client:
        assert await client.count_contacts() == 1234
    assert [r.url.params["limit"] for r in seen] == ["1"]


async def test_count_without_total_count_counts_by_listing_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No `totalCount`: the count is exact, by listing every page, with a warning naming the cost."""
    answers = [
        page([person(0)]),
        page([person(n) for n in range(100)]),
        page([person(n) for n in range(100, 117)]),
    ]
    with caplog.at_level(logging.WARNING, logger="sakari_client.client"):
        async with client_for(api(answers)) as client:
            assert await client.count_contacts() == 117
    assert "no totalCount" in caplog.text


async def test_count_of_an_empty_account_without_total_count_is_zero() -> None:
    """No `totalCount` and no contact on the first page: zero, without listing."""
    seen: list[httpx.Request] = []
    async with client_for(api([page([])], seen)) as client:
        assert await client.count_contacts() == 0
    assert len(seen) == 1


async def test_a_created_contact_without_id_is_a_per_contact_error_not_retried() -> None:
    """A 201 whose contact has no id raises `UnconfirmedContactError` (a rejection): no retry, no number."""
    seen: list[httpx.Request] = []
    answer = {
        "success": True,
        "data": [{"mobile": {"number": "+14155550123"}, "error": {"code": "CONT-099"}}],
    }
    async with client_for(api([ok(answer)], seen)) as client:
        with pytest.raises(UnconfirmedContactError) as caught:
            await client.create_contact(BODY)
        assert client.stats.retries == 0
    assert isinstance(caught.value, ContactRejectedError)
    assert (caught.value.status, caught.value.code) == (201, "CONT-099")
    assert "without its id" in str(caught.value)
    assert "4155550123" not in f"{caught.value}{caught.value!r}"
    assert len(seen) == 1


async def test_a_contact_error_without_code_is_read_not_fatal() -> None:
    """A created contact whose `error` has no `code` comes back with `error.code` None."""
    answer = {"success": True, "data": [{**CONTACT, "error": {"description": "Carrier lookup failed"}}]}
    async with client_for(api([ok(answer)])) as client:
        contact = await client.create_contact(BODY)
    assert contact.error is not None
    assert (contact.id, contact.error.code, contact.error.description) == (
        CONTACT["id"],
        None,
        "Carrier lookup failed",
    )


async def test_get_contact_without_id_in_the_answer_keeps_the_id_asked_for() -> None:
    """A fetched contact whose answer leaves out `id` carries the id it was fetched by."""
    async with client_for(api([ok({"success": True, "data": {"firstName": "Ada"}}, status=200)])) as client:
        contact = await client.get_contact("abc123")
    assert (contact.id, contact.firstName) == ("abc123", "Ada")


def bulk_answer(**data: Any) -> httpx.Response:
    return ok({"success": True, "data": data})


async def test_upload_answer_with_contact_shaped_errors_is_read_but_not_row_matchable() -> None:
    """Errors shaped like contacts (the OpenAPI's declaration) are read, and say rows cannot be matched."""
    rejected = {"mobile": {"number": "+14155550124"}, "error": {"code": "CONT-001", "description": "Invalid"}}
    answer = bulk_answer(contacts=[CONTACT], errors=[rejected], submitted=2)
    batch = [BODY, BODY.model_copy(update={"mobile": MobileIn(number="+14155550124")})]
    async with client_for(api([answer])) as client:
        result = await client.upload_csv(batch)
    (error,) = result.errors
    assert (error.row, error.code, error.description, error.mobile) == (
        None,
        "CONT-001",
        "Invalid",
        "+14155550124",
    )
    assert not result.rows_matchable(2)


async def test_upload_answer_with_row_less_errors_and_a_contact_count_is_read() -> None:
    """Errors without rows, `contacts` as a count and no other counts: read, and not row-matchable."""
    answer = bulk_answer(contacts=1, errors=[{"code": "CONT-001", "message": "Invalid mobile"}])
    async with client_for(api([answer])) as client:
        result = await client.upload_csv([BODY, BODY])
    assert (result.contacts, result.submitted, result.inserted) == (1, None, None)
    assert [(e.row, e.code, e.message) for e in result.errors] == [(None, "CONT-001", "Invalid mobile")]
    assert not result.rows_matchable(2)


async def test_upload_answer_with_numbered_errors_and_a_contact_list_is_row_matchable() -> None:
    """The emulator's shape: errors by row, one contact per other row, in order."""
    answer = bulk_answer(contacts=[CONTACT], errors=[{"row": 2, "code": "CONT-001"}], submitted=2, inserted=1)
    async with client_for(api([answer])) as client:
        result = await client.upload_csv([BODY, BODY])
    assert result.rows_matchable(2)


async def test_find_by_mobile_returns_the_exact_match_among_partial_ones() -> None:
    """Sakari's filter matches part of a number: only the contact with exactly that number is returned."""
    seen: list[httpx.Request] = []
    longer = {"id": "longer", "mobile": {"number": "+141555501234"}}
    exact = {"id": "exact", "mobile": {"number": "+1 (415) 555-0123"}}
    async with client_for(api([page([longer, exact], totalCount=2)], seen)) as client:
        found = await client.find_by_mobile("+14155550123")
    assert found is not None
    assert found.id == "exact"
    assert seen[0].url.params["mobile"] == "+14155550123"


async def test_find_by_mobile_without_an_exact_match_is_none() -> None:
    """Only partial matches (or none): None, after every page of results was read."""
    answers = [page([{"id": "x", "mobile": {"number": "+141555501239"}}], totalCount=1)]
    async with client_for(api(answers)) as client:
        assert await client.find_by_mobile("+14155550123") is None


async def test_find_by_mobile_refuses_a_number_that_is_not_e164() -> None:
    """A national number would match arbitrary contacts by part: it is refused before any request."""
    async with client_for(api([])) as client:
        with pytest.raises(ValueError, match=r"E\.164"):
            await client.find_by_mobile("4155550123")

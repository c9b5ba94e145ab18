"""Contact calls against the emulator, in-process and over real HTTP."""

from __future__ import annotations

import pytest

from sakari_client import (
    AccountError,
    AuthenticationError,
    ContactIn,
    ContactRejectedError,
    ListRef,
    MobileIn,
    NotFoundError,
    SakariClient,
)
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID
from tests.support.emulator import Emulator

CONTACTS = "/v1/accounts/{accountId}/contacts"


def person(n: int, **fields: object) -> ContactIn:
    return ContactIn.model_validate(
        {"mobile": {"number": f"+1415555{n:04d}", "country": "US"}, "firstName": f"First{n}"} | fields
    )


async def test_create_get_update_delete_round_trip(emulator: Emulator) -> None:
    """Create, get, update and delete a contact, without a retry."""
    async with emulator.client() as client:
        created = await client.create_contact(person(1, lastName="Lovelace", attributes={"tier": "gold"}))
        assert len(created.id) == 24
        assert created.mobile is not None
        assert created.mobile.number == "+14155550001"
        fetched = await client.get_contact(created.id)
        assert (fetched.firstName, fetched.lastName, fetched.attributes) == (
            "First1",
            "Lovelace",
            {"tier": "gold"},
        )

        updated = await client.update_contact(created.id, person(1, firstName="Ada"))
        assert (updated.id, updated.firstName, updated.lastName) == (created.id, "Ada", None)

        await client.delete_contact(created.id)
        with pytest.raises(NotFoundError) as caught:
            await client.get_contact(created.id)
        assert caught.value.status == 404
        assert client.stats.retries == 0


async def test_create_is_an_upsert_by_mobile_honouring_merge_strategy(emulator: Emulator) -> None:
    """Creating the same mobile merges into one contact, as `append`, `core` and `remove` say."""
    async with emulator.client() as client:
        first = await client.create_contact(person(2, lastName="Hopper", attributes={"a": "1"}))
        appended = await client.create_contact(person(2, firstName="Grace", attributes={"b": "2"}))
        assert appended.id == first.id
        assert appended.attributes == {"a": "1", "b": "2"}
        core = await client.create_contact(
            person(2, firstName="G", attributes={"c": "3"}), merge_strategy="core"
        )
        assert (core.firstName, core.attributes) == ("G", {"a": "1", "b": "2"})
        replaced = await client.create_contact(person(2, attributes={"d": "4"}), merge_strategy="remove")
        assert (replaced.lastName, replaced.attributes) == (None, {"d": "4"})
    assert len(await emulator.contacts()) == 1


async def test_list_contacts_walks_every_page_until_has_next_is_false(emulator: Emulator) -> None:
    """25 contacts in pages of 10: three requests, every contact in creation order."""
    async with emulator.client() as client:
        for n in range(25):
            await client.create_contact(person(n))
        listed = [c async for c in client.list_contacts(page_size=10)]
    assert [c.firstName for c in listed] == [f"First{n}" for n in range(25)]
    assert await emulator.count("GET", CONTACTS, 200) == 3


async def test_list_contacts_pages_through_answers_without_has_next(emulator: Emulator) -> None:
    """With the emulator answering in the OpenAPI's older shape (pagination without `hasNext`), the
    listing still reaches every contact: it pages on by `totalCount`."""
    await emulator.inspect("PATCH", "/_emulator/styles", {"pagination_style": "openapi"})
    async with emulator.client() as client:
        for n in range(5):
            await client.create_contact(ContactIn(mobile=MobileIn(number=f"+1415555020{n}")))
        listed = [c async for c in client.list_contacts(page_size=2)]
    assert len(listed) == 5


async def test_list_contacts_passes_filters(emulator: Emulator) -> None:
    """Name and mobile filters reach the server and narrow the listing."""
    async with emulator.client() as client:
        for n in (10, 11, 20):
            await client.create_contact(person(n))
        found = [c.firstName async for c in client.list_contacts(firstName="First1")]
        by_mobile = [c.firstName async for c in client.list_contacts(mobile="+14155550020")]
    assert found == ["First10", "First11"]
    assert by_mobile == ["First20"]


async def test_list_contacts_refuses_bad_page_sizes_and_unknown_filters(in_process: Emulator) -> None:
    """A page size over 100 or an unknown filter is refused before any request."""
    async with in_process.client() as client:
        with pytest.raises(ValueError, match="page_size"):
            [c async for c in client.list_contacts(page_size=101)]
        with pytest.raises(ValueError, match="unknown filters"):
            [c async for c in client.list_contacts(first_name="Ada")]


async def test_blocked_mobile_answers_a_contact_with_cont_010(emulator: Emulator) -> None:
    """Creating a blocked mobile succeeds with `error.code` CONT-010 and `blocked` set."""
    await emulator.inspect("POST", "/_emulator/block", {"mobile": "+14155550003"})
    async with emulator.client() as client:
        contact = await client.create_contact(person(3))
    assert contact.error is not None
    assert contact.error.code == "CONT-010"
    assert contact.blocked


async def test_invalid_mobile_is_a_contact_rejection_and_not_retried(emulator: Emulator) -> None:
    """An invalid mobile is a 400 CONT-001 `ContactRejectedError`, not retried."""
    async with emulator.client() as client:
        with pytest.raises(ContactRejectedError) as caught:
            await client.create_contact(ContactIn(mobile=MobileIn(number="12")))
        assert (caught.value.status, caught.value.code) == (400, "CONT-001")
        assert client.stats.retries == 0


async def test_unknown_list_is_a_contact_rejection(in_process: Emulator) -> None:
    """An unknown list id rejects that contact (400)."""
    async with in_process.client() as client:
        with pytest.raises(ContactRejectedError) as caught:
            await client.create_contact(person(4, lists=[{"id": "no-such-list"}]))
    assert caught.value.status == 400


async def test_lists_are_joined_by_id(in_process: Emulator) -> None:
    """A contact created with a list id comes back a member of that list."""
    lists = {row["name"]: row["id"] for row in await in_process.inspect("GET", "/_emulator/lists")}
    async with in_process.client() as client:
        contact = await client.create_contact(
            person(5).model_copy(update={"lists": [ListRef(id=lists["vip"])]})
        )
    assert [(m.id, m.name) for m in contact.lists] == [(lists["vip"], "vip")]


async def test_wrong_account_is_an_account_error_without_retries(emulator: Emulator) -> None:
    """Another account's id is a 403 ACCT-008 `AccountError`, not retried."""
    async with emulator.client(account_id="someone-else") as client:
        with pytest.raises(AccountError) as caught:
            await client.get_contact("0" * 24)
        assert (caught.value.status, caught.value.code) == (403, "ACCT-008")
        assert client.stats.retries == 0


async def test_bad_credentials_fail_once_with_authentication_error(emulator: Emulator) -> None:
    """A wrong secret fails with one token request and never shows the secret."""
    async with SakariClient(
        emulator.url, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, "wrong-secret", transport=emulator.transport
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_contact("0" * 24)
        assert client.stats.retries == 0
    assert caught.value.status == 401
    assert "wrong-secret" not in str(caught.value)
    assert await emulator.token_requests() == 1


async def test_csv_upload_inserts_then_updates_with_attribute_columns(emulator: Emulator) -> None:
    """A CSV upload inserts, the same upload again updates; attributes land as columns."""
    batch = [
        person(n, email=f"p{n}@example.com", attributes={"tier": "gold", "rank": n}) for n in range(30, 35)
    ]
    async with emulator.client() as client:
        first = await client.upload_csv(batch)
        again = await client.upload_csv(batch, merge_strategy="append")
    assert (first.submitted, first.inserted, first.updated, first.errors) == (5, 5, 0, [])
    assert (again.inserted, again.updated) == (0, 5)
    stored = {c["mobile"]["number"]: c for c in await emulator.contacts()}
    assert stored["+14155550031"]["attributes"] == {"tier": "gold", "rank": "31"}
    assert stored["+14155550031"]["email"] == "p31@example.com"


async def test_csv_upload_reports_bad_rows(in_process: Emulator) -> None:
    """A bad row in a CSV upload comes back in `errors`; the other rows are inserted."""
    async with in_process.client() as client:
        result = await client.upload_csv([person(40), ContactIn(mobile=MobileIn(number="12"))])
    assert (result.submitted, result.inserted) == (2, 1)
    assert [e.code for e in result.errors] == ["CONT-001"]

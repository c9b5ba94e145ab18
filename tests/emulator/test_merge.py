"""mergeStrategy (append, core, remove) and blocked mobiles (CONT-010)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import CONTACTS_PATH, Emulator

from .schema import assert_contact

MOBILE = "+14155550200"
STRATEGIES = ["append", "core", "remove", None]


async def _seed(emu: Emulator) -> dict[str, Any]:
    return await emu.create_ok({
        "firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
        "mobile": {"number": MOBILE, "country": "US"},
        "attributes": {"tier": "gold", "city": "Oslo"}, "lists": [{"id": emu.lists["VIP"]}],
    })  # fmt: skip


UPDATE = {"firstName": "Anna", "mobile": {"number": MOBILE}, "attributes": {"tier": "silver", "pet": "cat"}}


async def test_create_on_an_existing_mobile_merges_into_the_same_contact(emu: Emulator) -> None:
    """A create on a known mobile merges into that contact instead of adding one."""
    first = await _seed(emu)
    second = await emu.create_ok({**UPDATE, "lists": [{"id": emu.lists["News"]}]})
    assert second["id"] == first["id"]
    assert len(emu.backend.all_contacts()) == 1


@pytest.mark.parametrize("strategy", ["append", None])
async def test_append_overwrites_sent_fields_merges_attributes_and_adds_lists(
    emu: Emulator, strategy: str | None
) -> None:
    """append (also the default): sent fields overwrite, attributes merge by key, lists are added."""
    await _seed(emu)
    contact = await emu.create_ok({**UPDATE, "lists": [{"id": emu.lists["News"]}]}, strategy)
    assert (contact["firstName"], contact["lastName"], contact["email"]) == ("Anna", "Lee", "ann@example.com")
    assert contact["attributes"] == {"tier": "silver", "city": "Oslo", "pet": "cat"}
    assert [m["name"] for m in contact["lists"]] == ["VIP", "News"]


async def test_core_changes_only_names_and_email(emu: Emulator) -> None:
    """core changes first name, last name and email only."""
    seeded = await _seed(emu)
    body = {**UPDATE, "email": "anna@example.com", "lists": [{"id": emu.lists["News"]}]}
    contact = await emu.create_ok(body, "core")
    assert (contact["firstName"], contact["lastName"], contact["email"]) == (
        "Anna",
        "Lee",
        "anna@example.com",
    )
    assert contact["attributes"] == seeded["attributes"]
    assert contact["lists"] == seeded["lists"]


async def test_remove_makes_the_contact_exactly_what_was_sent(emu: Emulator) -> None:
    """remove: absent fields are cleared and attributes and lists become what was sent."""
    await _seed(emu)
    contact = await emu.create_ok({**UPDATE, "lists": [{"id": emu.lists["News"]}]}, "remove")
    assert contact["firstName"] == "Anna"
    assert "lastName" not in contact
    assert "email" not in contact
    assert contact["attributes"] == {"tier": "silver", "pet": "cat"}
    assert [m["name"] for m in contact["lists"]] == ["News"]


async def test_remove_without_lists_leaves_no_list(emu: Emulator) -> None:
    """remove without lists or attributes leaves none."""
    await _seed(emu)
    contact = await emu.create_ok({"mobile": {"number": MOBILE}}, "remove")
    assert contact["lists"] == []
    assert contact["attributes"] == {}


async def test_a_new_contact_gets_everything_sent_whatever_the_strategy(emu: Emulator) -> None:
    """A create that inserts stores everything sent, even under core."""
    body = {
        "firstName": "N",
        "mobile": {"number": MOBILE},
        "attributes": {"a": 1},
        "lists": [{"id": emu.lists["VIP"]}],
    }
    contact = await emu.create_ok(body, "core")
    assert contact["attributes"] == {"a": 1}
    assert len(contact["lists"]) == 1


async def _block(emu: Emulator, mobile: str = MOBILE) -> dict[str, Any]:
    response = await emu.http.post("/_emulator/block", json={"mobile": mobile})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_blocked_mobile_answers_201_with_cont_010_and_stays_blocked(
    emu: Emulator, strategy: str | None
) -> None:
    """A create on a blocked mobile answers 201 with CONT-010, keeps the block and never rejoins a list."""
    await _seed(emu)
    blocked = await _block(emu)
    body = {**UPDATE, "lists": [{"id": emu.lists["News"]}]}
    response = await emu.create(body, strategy)
    assert response.status_code == 201
    contact = response.json()["data"][0]
    assert_contact(contact)
    assert contact["blocked"] == blocked["blocked"]
    assert contact["error"] == {
        "code": "CONT-010",
        "description": "Contact has requested no further communication",
    }
    # Never re-added to a list, never opted back in: the VIP membership keeps its opt-out.
    assert [(m["name"], "optOut" in m) for m in contact["lists"]] == [("VIP", True)]
    again = (await emu.http.get(f"{CONTACTS_PATH}/{contact['id']}")).json()["data"]
    assert again["blocked"] == blocked["blocked"]
    assert again["error"]["code"] == "CONT-010"


async def test_blocked_contact_still_gets_field_changes_of_its_strategy(emu: Emulator) -> None:
    """A blocked contact's names and attributes still change as the strategy says."""
    await _seed(emu)
    await _block(emu)
    contact = await emu.create_ok(UPDATE, "append")
    assert contact["firstName"] == "Anna"
    assert contact["attributes"]["pet"] == "cat"


async def test_mobile_blocked_before_its_contact_exists_creates_it_blocked_without_lists(
    emu: Emulator,
) -> None:
    """A mobile blocked before its contact exists yields a blocked contact with no lists and no optIn."""
    blocked = await _block(emu)
    assert blocked["contact"] is None
    contact = await emu.create_ok({"mobile": {"number": MOBILE}, "lists": [{"id": emu.lists["VIP"]}]})
    assert contact["blocked"] == blocked["blocked"]
    assert contact["error"]["code"] == "CONT-010"
    assert contact["lists"] == []
    assert "optIn" not in contact


async def test_block_survives_delete_and_recreate(emu: Emulator) -> None:
    """A block outlives a delete: the contact created again is born blocked."""
    seeded = await _seed(emu)
    await _block(emu)
    await emu.http.delete(f"{CONTACTS_PATH}/{seeded['id']}")
    contact = await emu.create_ok({"mobile": {"number": MOBILE}})
    assert contact["error"]["code"] == "CONT-010"


async def test_put_never_unblocks_nor_moves_a_blocked_contact(emu: Emulator) -> None:
    """PUT changes a blocked contact's fields but not its lists, its block or its mobile."""
    seeded = await _seed(emu)
    await _block(emu)
    path = f"{CONTACTS_PATH}/{seeded['id']}"
    response = await emu.http.put(path, json={"firstName": "P", "lists": [{"id": emu.lists["News"]}]})
    contact = response.json()["data"]
    assert contact["firstName"] == "P"
    assert contact["error"]["code"] == "CONT-010"
    assert [m["name"] for m in contact["lists"]] == ["VIP"]
    moved = await emu.http.put(path, json={"mobile": {"number": "+14155550299"}})
    assert moved.status_code == 400
    assert moved.json()["error"]["code"] == "EMU-CONT-BLOCKED"


async def test_block_is_idempotent_and_keeps_the_first_time(emu: Emulator) -> None:
    """Blocking twice keeps the time of the first block."""
    await _seed(emu)
    first = await _block(emu)
    second = await _block(emu)
    assert first["blocked"] == second["blocked"]
    assert second["contact"]["blocked"] == first["blocked"]

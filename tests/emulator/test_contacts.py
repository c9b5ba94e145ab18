"""Create, get, update and delete one contact; the number rule; ids; the seed schema."""

from __future__ import annotations

import pytest

from tests.support.emulator import CONTACTS_PATH, Emulator

from .schema import CONTACT_ID, assert_contact, assert_error


async def test_create_answers_201_with_an_array_and_pagination(emu: Emulator) -> None:
    """A JSON create answers 201 with the contact in a one-element data array and full pagination."""
    body = {
        "firstName": "Chris",
        "lastName": "Thomson",
        "mobile": {"number": "+14155550100", "country": "US"},
    }
    response = await emu.create(body)
    assert response.status_code == 201
    answer = response.json()
    assert answer["success"] is True
    assert answer["pagination"] == {"offset": 0, "limit": 1, "totalCount": 1, "hasNext": False}
    [contact] = answer["data"]
    assert_contact(contact)
    assert contact["firstName"] == "Chris"
    assert contact["lastName"] == "Thomson"
    assert contact["mobile"]["number"] == "+14155550100"
    assert contact["mobile"]["country"] == "US"
    assert "blocked" not in contact
    assert "error" not in contact


async def test_full_contact_matches_the_seed_schema(emu: Emulator) -> None:
    """Every field of a fully filled contact has the seed schema's name and type."""
    contact = await emu.create_ok({
        "firstName": "Ana", "lastName": "Lopes", "email": "ana@example.com",
        "mobile": {"number": "+351912345678"},
        "attributes": {"tier": "gold", "score": 3, "vip": True, "x": None},
        "lists": [{"id": emu.lists["VIP"]}],
    })  # fmt: skip
    assert_contact(contact)
    assert contact["mobile"]["country"] == "PT"
    assert contact["attributes"] == {"tier": "gold", "score": 3, "vip": True, "x": None}
    assert [(m["id"], m["name"]) for m in contact["lists"]] == [(emu.lists["VIP"], "VIP")]
    assert CONTACT_ID.fullmatch(contact["id"])


async def test_unknown_request_fields_are_ignored(emu: Emulator) -> None:
    """Unknown request properties are ignored and never echoed back."""
    contact = await emu.create_ok({"mobile": {"number": "+14155550101", "extra": 1}, "hubspot": {"id": 5}})
    assert "hubspot" not in contact


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("+44 7700 900123", None, "+447700900123"),
        ("(415) 555-0102", "US", "+14155550102"),
        ("1 415 555 0102", "us", "+14155550102"),
        ("07700 900124", "GB", "+447700900124"),
        ("0044 7700 900125", None, "+447700900125"),
    ],
)
async def test_numbers_are_stored_in_e164(
    emu: Emulator, number: str, country: str | None, expected: str
) -> None:
    """Numbers with separators, trunk prefixes or 00 are stored in E.164."""
    mobile = {"number": number} if country is None else {"number": number, "country": country}
    contact = await emu.create_ok({"mobile": mobile})
    assert contact["mobile"]["number"] == expected


@pytest.mark.parametrize(
    "mobile",
    [
        None,
        {"number": "+1234567"},
        {"number": "+1234567890123456"},
        {"number": "4155550100"},
        {"number": "4155550100", "country": "ZZ"},
        {"number": "+1415555O100"},
        {"number": "not a number", "country": "US"},
        "+14155550100",
    ],
)
async def test_invalid_or_missing_mobile_is_400_cont_001(emu: Emulator, mobile: object) -> None:
    """A missing, malformed or non-object mobile is 400 CONT-001."""
    body = {"firstName": "X"} if mobile is None else {"firstName": "X", "mobile": mobile}
    response = await emu.create(body)
    assert response.status_code == 400
    assert_error(response.json(), "CONT-001")


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"mobile": {"number": "+14155550100"}, "firstName": 5},
        {"mobile": {"number": "+14155550100"}, "attributes": {"a": {"nested": 1}}},
        {"mobile": {"number": "+14155550100"}, "lists": ["not-an-object"]},
    ],
)
async def test_malformed_body_is_400(emu: Emulator, body: object) -> None:
    """A body of the wrong shape or with wrongly typed fields is 400 EMU-BAD-REQUEST."""
    response = await emu.http.post(CONTACTS_PATH, json=body)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")


async def test_invalid_json_and_bad_merge_strategy_are_400(emu: Emulator) -> None:
    """Invalid JSON and an unknown mergeStrategy are 400."""
    response = await emu.http.post(
        CONTACTS_PATH, content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    response = await emu.create({"mobile": {"number": "+14155550100"}}, strategy="merge")
    assert response.status_code == 400


async def test_unknown_list_id_is_400(emu: Emulator) -> None:
    """An unknown list id is 400 EMU-LIST-UNKNOWN and nothing is written."""
    response = await emu.create({"mobile": {"number": "+14155550100"}, "lists": [{"id": "f" * 24}]})
    assert response.status_code == 400
    assert_error(response.json(), "EMU-LIST-UNKNOWN")
    assert emu.backend.all_contacts() == []


async def test_get_one_contact(emu: Emulator) -> None:
    """GET by id answers the same contact the create answered."""
    created = await emu.create_ok({"firstName": "G", "mobile": {"number": "+14155550103"}})
    response = await emu.http.get(f"{CONTACTS_PATH}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": created}


async def test_unknown_contact_id_is_404_on_get_put_delete(emu: Emulator) -> None:
    """An unknown contact id is 404 EMU-NOT-FOUND on GET, PUT and DELETE."""
    path = f"{CONTACTS_PATH}/{'0' * 24}"
    for response in (
        await emu.http.get(path),
        await emu.http.put(path, json={"firstName": "X"}),
        await emu.http.delete(path),
    ):
        assert response.status_code == 404
        assert_error(response.json(), "EMU-NOT-FOUND")


async def test_put_replaces_editable_fields_and_adds_lists(emu: Emulator) -> None:
    """PUT replaces names, email and attributes, keeps the mobile, and only adds lists."""
    created = await emu.create_ok({
        "firstName": "Old", "lastName": "Name", "email": "old@example.com",
        "mobile": {"number": "+14155550104"},
        "attributes": {"a": "1", "b": "2"}, "lists": [{"id": emu.lists["VIP"]}],
    })  # fmt: skip
    response = await emu.http.put(
        f"{CONTACTS_PATH}/{created['id']}",
        json={"firstName": "New", "attributes": {"c": "3"}, "lists": [{"id": emu.lists["News"]}]},
    )
    assert response.status_code == 200
    contact = response.json()["data"]
    assert_contact(contact)
    assert contact["firstName"] == "New"
    assert "lastName" not in contact
    assert "email" not in contact
    assert contact["attributes"] == {"c": "3"}
    assert contact["mobile"]["number"] == "+14155550104"
    assert [m["name"] for m in contact["lists"]] == ["VIP", "News"]
    assert contact["created"] == created["created"]


async def test_put_can_move_to_a_free_mobile_but_not_to_a_taken_one(emu: Emulator) -> None:
    """PUT moves a contact to a free mobile, and refuses a taken one with EMU-MOBILE-TAKEN."""
    first = await emu.create_ok({"mobile": {"number": "+14155550105"}})
    await emu.create_ok({"mobile": {"number": "+14155550106"}})
    path = f"{CONTACTS_PATH}/{first['id']}"
    taken = await emu.http.put(path, json={"mobile": {"number": "+14155550106"}})
    assert taken.status_code == 400
    assert_error(taken.json(), "EMU-MOBILE-TAKEN")
    moved = await emu.http.put(path, json={"mobile": {"number": "+14155550107"}})
    assert moved.json()["data"]["mobile"]["number"] == "+14155550107"


async def test_delete_removes_the_contact(emu: Emulator) -> None:
    """DELETE answers {success: true} and the contact is gone."""
    created = await emu.create_ok({"mobile": {"number": "+14155550108"}})
    response = await emu.http.delete(f"{CONTACTS_PATH}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert (await emu.http.get(f"{CONTACTS_PATH}/{created['id']}")).status_code == 404


async def test_contact_ids_are_unique_24_hex_and_stable_per_mobile(emu: Emulator) -> None:
    """Ids are unique 24-hex strings, and a create on a known mobile keeps its id."""
    ids = [(await emu.create_ok({"mobile": {"number": f"+1415555{n:04d}"}}))["id"] for n in range(20)]
    assert len(set(ids)) == 20
    assert all(CONTACT_ID.fullmatch(i) for i in ids)
    again = await emu.create_ok({"mobile": {"number": "+14155550000"}})
    assert again["id"] == ids[0]


async def test_long_names_email_and_attributes_are_stored_whole(emu: Emulator) -> None:
    """No length limit is documented, so none is enforced: long values come back unchanged."""
    long = "x" * 5000
    body = {"firstName": long, "lastName": long, "email": f"{long}@example.com",
            "mobile": {"number": "+14155550109"}, "attributes": {long: long}}  # fmt: skip
    contact = await emu.create_ok(body)
    assert (contact["firstName"], contact["lastName"], contact["email"]) == (
        long,
        long,
        f"{long}@example.com",
    )
    assert contact["attributes"] == {long: long}

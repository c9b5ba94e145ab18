"""GET contacts: offset/limit pagination, limits, partial-match filters, creation order."""

from __future__ import annotations

from typing import Any

import pytest

from sakari_emulator.models import ContactInput

from .conftest import CONTACTS, Emulator
from .schema import assert_contact, assert_error


def _seed(emu: Emulator, count: int) -> None:
    for n in range(count):
        data = ContactInput(mobile=f"+1415555{n:04d}", first_name=f"Person{n}", email=f"p{n}@example.com")
        emu.backend.create_contact(data, "append")


async def _page(emu: Emulator, **params: Any) -> dict[str, Any]:
    response = await emu.client.get(CONTACTS, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


@pytest.mark.parametrize(
    ("count", "limit", "sizes"),
    [(0, 100, [0]), (1, 100, [1]), (100, 100, [100]), (101, 100, [100, 1]), (101, 50, [50, 50, 1])],
)
async def test_pages_cover_every_contact_once_in_creation_order(
    emu: Emulator, count: int, limit: int, sizes: list[int]
) -> None:
    _seed(emu, count)
    seen: list[str] = []
    for number, size in enumerate(sizes):
        page = await _page(emu, offset=number * limit, limit=limit)
        assert page["success"] is True
        assert page["pagination"] == {
            "offset": number * limit, "limit": limit, "totalCount": count, "hasNext": number < len(sizes) - 1,
        }  # fmt: skip
        assert len(page["data"]) == size
        seen += [c["firstName"] for c in page["data"]]
    assert seen == [f"Person{n}" for n in range(count)]


async def test_default_limit_is_10(emu: Emulator) -> None:
    _seed(emu, 11)
    page = await _page(emu)
    assert page["pagination"] == {"offset": 0, "limit": 10, "totalCount": 11, "hasNext": True}
    assert len(page["data"]) == 10
    for contact in page["data"]:
        assert_contact(contact)


async def test_offset_past_the_end_is_an_empty_page(emu: Emulator) -> None:
    _seed(emu, 3)
    page = await _page(emu, offset=5)
    assert page["data"] == []
    assert page["pagination"]["hasNext"] is False


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"offset": -1}])
async def test_out_of_range_paging_is_400(emu: Emulator, params: dict[str, Any]) -> None:
    response = await emu.client.get(CONTACTS, params=params)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")


async def test_filters_match_part_of_the_value_case_insensitively(emu: Emulator) -> None:
    await emu.create_ok({"firstName": "Maria", "lastName": "Silva", "email": "maria@shop.example",
                         "mobile": {"number": "+351912000001"}})  # fmt: skip
    await emu.create_ok({"firstName": "Mario", "lastName": "Rossi", "email": "mario@web.example",
                         "mobile": {"number": "+393471000002"}})  # fmt: skip
    await emu.create_ok({"firstName": "Ann", "lastName": "Marie", "mobile": {"number": "+14155550003"}})

    async def names(**filters: str) -> list[str]:
        return [c["firstName"] for c in (await _page(emu, **filters))["data"]]

    assert await names(firstName="mari") == ["Maria", "Mario"]
    assert await names(lastName="SILV") == ["Maria"]
    assert await names(email="@web.") == ["Mario"]
    assert await names(mobile="+39347") == ["Mario"]
    assert await names(mobile="555 0003") == ["Ann"]
    assert await names(firstName="mar", lastName="ros") == ["Mario"]
    assert await names(firstName="%") == []
    assert (await _page(emu, firstName="mari"))["pagination"]["totalCount"] == 2

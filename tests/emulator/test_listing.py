"""GET contacts: offset/limit pagination, limits, partial-match filters, creation order."""

from __future__ import annotations

from typing import Any

import pytest

from sakari_emulator.merging import ContactInput
from tests.support.emulator import CONTACTS_PATH, Emulator

from .schema import assert_contact, assert_error


def _seed(emu: Emulator, count: int) -> None:
    for n in range(count):
        data = ContactInput(mobile=f"+1415555{n:04d}", first_name=f"Person{n}", email=f"p{n}@example.com")
        emu.backend.create_contact(data, "append")


async def _page(emu: Emulator, **params: Any) -> dict[str, Any]:
    response = await emu.http.get(CONTACTS_PATH, params=params)
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
    """Paging with offset and limit visits every contact once, in creation order, with exact pagination."""
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
    """Without a limit a page holds 10 contacts."""
    _seed(emu, 11)
    page = await _page(emu)
    assert page["pagination"] == {"offset": 0, "limit": 10, "totalCount": 11, "hasNext": True}
    assert len(page["data"]) == 10
    for contact in page["data"]:
        assert_contact(contact)


async def test_offset_past_the_end_is_an_empty_page(emu: Emulator) -> None:
    """An offset past the end answers an empty page with hasNext false."""
    _seed(emu, 3)
    page = await _page(emu, offset=5)
    assert page["data"] == []
    assert page["pagination"]["hasNext"] is False


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"offset": -1}])
async def test_out_of_range_paging_is_400(emu: Emulator, params: dict[str, Any]) -> None:
    """A limit outside 1..100, a non-integer or a negative offset is 400 EMU-BAD-REQUEST."""
    response = await emu.http.get(CONTACTS_PATH, params=params)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")


async def test_filters_match_part_of_the_value_case_insensitively(emu: Emulator) -> None:
    """Filters match part of the value, ignore ASCII case, combine with AND and treat % literally."""
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


@pytest.mark.parametrize(
    "params",
    [
        {"offset": str(2**63)},
        {"offset": "9" * 40},
        {"offset": "1_0"},
        {"offset": " 5"},
        {"offset": "٣"},
        {"offset": "1.0"},
        {"limit": "+5"},
        {"limit": str(2**64)},
    ],
)
async def test_paging_numbers_are_strict_and_bounded(emu: Emulator, params: dict[str, str]) -> None:
    """Offsets past 2^63 - 1 and anything but plain ASCII digits are 400 in the envelope, not a 500."""
    response = await emu.http.get(CONTACTS_PATH, params=params)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200  # the connection is still usable


async def test_the_largest_offset_is_an_empty_page(emu: Emulator) -> None:
    """offset 2^63 - 1 (int64's largest) is valid and past the end."""
    _seed(emu, 1)
    page = await _page(emu, offset=2**63 - 1)
    assert page["data"] == []
    assert page["pagination"]["totalCount"] == 1


async def test_the_tags_filter_is_refused_not_ignored(emu: Emulator) -> None:
    """The OpenAPI's tags filter is 400 EMU-FILTER-UNSUPPORTED: contacts carry no tags here."""
    _seed(emu, 1)
    for value in ("vip", ""):
        response = await emu.http.get(CONTACTS_PATH, params={"tags": value})
        assert response.status_code == 400
        assert_error(response.json(), "EMU-FILTER-UNSUPPORTED")


async def test_openapi_pagination_style_has_no_has_next(emu: Emulator) -> None:
    """pagination_style openapi: list and create answers carry only totalCount, limit and offset."""
    _seed(emu, 3)
    await emu.set_styles(pagination_style="openapi")
    page = await _page(emu, limit=2)
    assert page["pagination"] == {"offset": 0, "limit": 2, "totalCount": 3}
    created = await emu.create({"mobile": {"number": "+14155550900"}})
    assert created.json()["pagination"] == {"offset": 0, "limit": 1, "totalCount": 1}
    await emu.set_styles(pagination_style="full")
    assert (await _page(emu, limit=2))["pagination"]["hasNext"] is True

"""POST contacts with Content-Type text/csv: bulk upsert with per-row errors."""

from __future__ import annotations

from typing import Any

from tests.support.emulator import CONTACTS_PATH, Emulator

from .schema import assert_contact, assert_error

CSV = {"Content-Type": "text/csv"}


async def _upload(emu: Emulator, text: str, strategy: str | None = None) -> dict[str, Any]:
    params = {} if strategy is None else {"mergeStrategy": strategy}
    response = await emu.http.post(CONTACTS_PATH, content=text.encode(), headers=CSV, params=params)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


async def test_csv_rows_are_upserted_and_bad_rows_reported_by_row_number(emu: Emulator) -> None:
    """Good rows are inserted or merged; bad rows become {row, code, description} errors (from 1)."""
    vip, news = emu.lists["VIP"], emu.lists["News"]
    data = await _upload(emu, (
        "country,firstName,lastName,email,mobile,lists,Tier\n"
        f"US,Ann,Lee,ann@example.com,+14155550300,{vip},gold\n"
        "US,Bad,Number,,12,,\n"
        f"GB,Bo,Ek,,07700 900301,{vip};{news},\n"
        f"US,Cy,Do,,+14155550302,{'f' * 24},\n"
        "US,Ann,Lee-Smith,,+14155550300,,silver\n"
    ))  # fmt: skip
    assert (data["submitted"], data["inserted"], data["updated"], data["success"]) == (5, 2, 1, 3)
    assert data["errors"] == [
        {"row": 2, "code": "CONT-001", "description": "Invalid mobile number"},
        {"row": 4, "code": "EMU-LIST-UNKNOWN", "description": f"Unknown list id: {'f' * 24}"},
    ]
    for contact in data["contacts"]:
        assert_contact(contact)
    ann, bo, ann_again = data["contacts"]
    assert ann["attributes"] == {"Tier": "gold"}
    assert ann_again["attributes"] == {"Tier": "silver"}
    assert ann_again["id"] == ann["id"]
    assert ann_again["lastName"] == "Lee-Smith"
    assert bo["mobile"]["number"] == "+447700900301"
    assert [m["name"] for m in bo["lists"]] == ["VIP", "News"]
    assert len(emu.backend.all_contacts()) == 2


async def test_csv_merge_strategy_applies(emu: Emulator) -> None:
    """mergeStrategy in the query applies to every CSV row."""
    await emu.create_ok(
        {"firstName": "Old", "mobile": {"number": "+14155550310"}, "attributes": {"keep": "1"}}
    )
    data = await _upload(emu, "mobile,firstName,city\n+14155550310,New,Oslo\n", strategy="remove")
    [contact] = data["contacts"]
    assert contact["firstName"] == "New"
    assert contact["attributes"] == {"city": "Oslo"}


async def test_csv_blocked_row_is_accepted_with_cont_010(emu: Emulator) -> None:
    """A row on a blocked mobile is accepted, joins no list and carries CONT-010."""
    await emu.http.post("/_emulator/block", json={"mobile": "+14155550320"})
    data = await _upload(emu, f"mobile,lists\n+14155550320,{emu.lists['VIP']}\n")
    [contact] = data["contacts"]
    assert contact["error"]["code"] == "CONT-010"
    assert contact["lists"] == []
    assert data["errors"] == []


async def test_csv_row_with_too_many_cells_is_a_row_error(emu: Emulator) -> None:
    """A row with more cells than the header is a row error; blank lines are not counted."""
    data = await _upload(emu, "mobile,firstName\n+14155550330,A,extra\n\n+14155550331,B\n")
    assert [e["row"] for e in data["errors"]] == [1]
    assert data["submitted"] == 2
    assert data["inserted"] == 1


async def test_csv_without_a_mobile_column_is_400(emu: Emulator) -> None:
    """A CSV without a mobile column is a 400 for the whole request."""
    response = await emu.http.post(CONTACTS_PATH, content=b"phone,firstName\n1,A\n", headers=CSV)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")


async def test_openapi_bulk_style_shapes_row_errors_like_contacts_without_row_numbers(emu: Emulator) -> None:
    """bulk_answer_style openapi: each error is the row as sent, shaped like a Contact, with no row."""
    await emu.set_styles(bulk_answer_style="openapi")
    data = await _upload(
        emu, "mobile,country,firstName,email,city\n+14155550340,US,Ok,,\n12,US,Bad,b@x.example,Oslo\n"
    )
    assert data["inserted"] == 1
    assert data["errors"] == [{
        "firstName": "Bad", "email": "b@x.example", "mobile": {"number": "12", "country": "US"},
        "attributes": {"city": "Oslo"}, "valid": False,
        "error": {"code": "CONT-001", "description": "Invalid mobile number"},
    }]  # fmt: skip
    [contact] = data["contacts"]
    assert_contact(contact)

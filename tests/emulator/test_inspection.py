"""Emulator-only routes under /_emulator/, and Sakari-shaped answers for unknown routes."""

from __future__ import annotations

from .conftest import CONTACTS, Emulator
from .schema import assert_contact, assert_error


async def test_stats_count_requests_by_method_route_template_and_status(emu: Emulator) -> None:
    created = await emu.create_ok({"mobile": {"number": "+14155550500"}})
    await emu.client.get(f"{CONTACTS}/{created['id']}")
    await emu.client.get(f"{CONTACTS}/{'0' * 24}")
    await emu.client.get("/v1/nothing-here")
    stats = (await emu.client.get("/_emulator/stats")).json()
    rows = {(r["method"], r["route"], r["status"]): r["count"] for r in stats["requests"]}
    assert rows == {
        ("POST", "/oauth2/token", 200): 1,
        ("POST", "/v1/accounts/{accountId}/contacts", 201): 1,
        ("GET", "/v1/accounts/{accountId}/contacts/{contactId}", 200): 1,
        ("GET", "/v1/accounts/{accountId}/contacts/{contactId}", 404): 1,
        ("GET", "(no route)", 404): 1,
    }
    assert stats["total"] == 5
    assert stats["dropped"] == 0


async def test_reset_forgets_contacts_blocks_and_counts_but_keeps_lists(emu: Emulator) -> None:
    await emu.create_ok({"mobile": {"number": "+14155550501"}})
    await emu.client.post("/_emulator/block", json={"mobile": "+14155550502"})
    assert (await emu.client.post("/_emulator/reset")).json() == {"success": True}
    assert (await emu.client.get("/_emulator/contacts")).json() == []
    assert (await emu.client.get("/_emulator/stats")).json()["total"] == 0
    contact = await emu.create_ok({"mobile": {"number": "+14155550502"}})
    assert "blocked" not in contact
    assert {item["name"] for item in (await emu.client.get("/_emulator/lists")).json()} == {"VIP", "News"}


async def test_lists_route_gives_ids_and_names(emu: Emulator) -> None:
    lists = (await emu.client.get("/_emulator/lists")).json()
    assert lists == [{"id": emu.lists["VIP"], "name": "VIP"}, {"id": emu.lists["News"], "name": "News"}]


async def test_contacts_route_dumps_every_contact_in_full(emu: Emulator) -> None:
    for n in range(3):
        await emu.create_ok({"firstName": f"C{n}", "mobile": {"number": f"+1415555051{n}"}})
    dump = (await emu.client.get("/_emulator/contacts")).json()
    assert [c["firstName"] for c in dump] == ["C0", "C1", "C2"]
    for contact in dump:
        assert_contact(contact)


async def test_block_needs_a_valid_mobile(emu: Emulator) -> None:
    for body in ({"mobile": "12"}, {"number": "+14155550520"}):
        response = await emu.client.post("/_emulator/block", json=body)
        assert response.status_code == 400
        assert_error(response.json(), "CONT-001")


async def test_unknown_route_and_method_answer_in_sakari_shape(emu: Emulator) -> None:
    missing = await emu.client.get("/v2/whatever")
    assert missing.status_code == 404
    assert_error(missing.json(), "EMU-ROUTE-NOT-FOUND")
    wrong = await emu.client.patch(CONTACTS)
    assert wrong.status_code == 405
    assert_error(wrong.json(), "EMU-METHOD-NOT-ALLOWED")

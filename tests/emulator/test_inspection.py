"""Emulator-only routes under /_emulator/, and Sakari-shaped answers for unknown routes."""

from __future__ import annotations

import pytest

from tests.support.emulator import CONTACTS_PATH, Emulator, MakeEmulator

from .schema import assert_contact, assert_error


async def test_stats_count_requests_by_method_route_template_and_status(emu: Emulator) -> None:
    """Stats count API requests by method, route template and status; unmatched paths as (no route)."""
    created = await emu.create_ok({"mobile": {"number": "+14155550500"}})
    await emu.http.get(f"{CONTACTS_PATH}/{created['id']}")
    await emu.http.get(f"{CONTACTS_PATH}/{'0' * 24}")
    await emu.http.get("/v1/nothing-here")
    stats = (await emu.http.get("/_emulator/stats")).json()
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
    """Reset forgets contacts, blocks and counts, and keeps the lists."""
    await emu.create_ok({"mobile": {"number": "+14155550501"}})
    await emu.http.post("/_emulator/block", json={"mobile": "+14155550502"})
    assert (await emu.http.post("/_emulator/reset")).json() == {"success": True}
    assert (await emu.http.get("/_emulator/contacts")).json() == []
    assert (await emu.http.get("/_emulator/stats")).json()["total"] == 0
    contact = await emu.create_ok({"mobile": {"number": "+14155550502"}})
    assert "blocked" not in contact
    assert {item["name"] for item in (await emu.http.get("/_emulator/lists")).json()} == {"VIP", "News"}


async def test_lists_route_gives_ids_and_names(emu: Emulator) -> None:
    """GET /_emulator/lists gives each list's id and name in creation order."""
    lists = (await emu.http.get("/_emulator/lists")).json()
    assert lists == [{"id": emu.lists["VIP"], "name": "VIP"}, {"id": emu.lists["News"], "name": "News"}]


async def test_contacts_route_dumps_every_contact_in_full(emu: Emulator) -> None:
    """GET /_emulator/contacts dumps every contact, rendered in full, in creation order."""
    for n in range(3):
        await emu.create_ok({"firstName": f"C{n}", "mobile": {"number": f"+1415555051{n}"}})
    dump = (await emu.http.get("/_emulator/contacts")).json()
    assert [c["firstName"] for c in dump] == ["C0", "C1", "C2"]
    for contact in dump:
        assert_contact(contact)


async def test_block_needs_a_valid_mobile(emu: Emulator) -> None:
    """Blocking needs a body with a valid mobile, else 400 CONT-001."""
    for body in ({"mobile": "12"}, {"number": "+14155550520"}):
        response = await emu.http.post("/_emulator/block", json=body)
        assert response.status_code == 400
        assert_error(response.json(), "CONT-001")


async def test_unknown_route_and_method_answer_in_sakari_shape(emu: Emulator) -> None:
    """Unknown routes (404) and methods (405) answer in Sakari's envelope."""
    missing = await emu.http.get("/v2/whatever")
    assert missing.status_code == 404
    assert_error(missing.json(), "EMU-ROUTE-NOT-FOUND")
    wrong = await emu.http.patch(CONTACTS_PATH)
    assert wrong.status_code == 405
    assert_error(wrong.json(), "EMU-METHOD-NOT-ALLOWED")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", CONTACTS_PATH, "GET, HEAD, POST"),
        ("POST", f"{CONTACTS_PATH}/{'0' * 24}", "DELETE, GET, HEAD, PUT"),
        ("GET", "/oauth2/token", "POST"),
        ("PUT", "/_emulator/rules", "DELETE, GET, HEAD, POST"),
        ("GET", "/_emulator/faults", "PATCH"),
    ],
)
async def test_405_names_every_method_the_route_has(
    emu: Emulator, method: str, path: str, allow: str
) -> None:
    """A 405's Allow header lists all the methods of that path, not just one route's."""
    response = await emu.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow


async def test_styles_route_changes_and_validates_answer_styles(make_emulator: MakeEmulator) -> None:
    """PATCH /_emulator/styles answers both styles; unknown fields and values are 400; reset keeps them."""
    emu = make_emulator(bulk_answer_style="openapi")
    assert emu.backend.styles == {"pagination_style": "full", "bulk_answer_style": "openapi"}
    changed = await emu.set_styles(pagination_style="openapi")
    assert changed == {"pagination_style": "openapi", "bulk_answer_style": "openapi"}
    for body in ({"pagination_style": "cursor"}, {"colour": "red"}, ["full"]):
        response = await emu.http.patch("/_emulator/styles", json=body)
        assert response.status_code == 400
        assert_error(response.json(), "EMU-BAD-REQUEST")
    await emu.inspect("POST", "/_emulator/reset")
    assert emu.backend.styles["pagination_style"] == "openapi"


async def test_inspection_routes_are_not_counted_and_ignore_fault_headers(emu: Emulator) -> None:
    """/_emulator/ routes never count in the stats and never fail on X-Emulator-Fault."""
    response = await emu.http.get("/_emulator/lists", headers={"X-Emulator-Fault": "500"})
    assert response.status_code == 200
    await emu.inspect("GET", "/_emulator/rules")
    assert (await emu.stats())["total"] == 1  # the login's token request only

"""Deterministic faults: rules set through /_emulator/rules, and the X-Emulator-Fault header."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.emulator import (
    CONTACT_ROUTE,
    CONTACTS_PATH,
    CONTACTS_ROUTE,
    TOKEN_REQUEST,
    Emulator,
    MakeEmulator,
)

from .schema import assert_error

CSV = {"Content-Type": "text/csv"}


async def _rules(emu: Emulator) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = (await emu.inspect("GET", "/_emulator/rules"))["data"]
    return rules


async def test_a_rule_answers_its_status_times_times_then_lets_requests_through(emu: Emulator) -> None:
    """A rule with times 2 answers two matching requests, then none; the listing shows what is left."""
    rule = await emu.add_rule(status=503, times=2)
    assert isinstance(rule["id"], int)
    assert (rule["times"], rule["hits"], rule["code"], rule["status"]) == (2, 0, None, 503)
    statuses = [(await emu.http.get(CONTACTS_PATH)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    [listed] = await _rules(emu)
    assert (listed["times"], listed["hits"]) == (0, 2)
    assert await emu.count("GET", CONTACTS_ROUTE, 503) == 2


async def test_a_rule_without_times_answers_every_matching_request(emu: Emulator) -> None:
    """times null (the default) means every matching request, for as long as the rule exists."""
    await emu.add_rule(status=500, method="GET", route=CONTACTS_ROUTE)
    for _ in range(3):
        response = await emu.http.get(CONTACTS_PATH)
        assert response.status_code == 500
        assert_error(response.json(), "EMU-FAULT-500")
    assert (await emu.create({"mobile": {"number": "+14155550800"}})).status_code == 201
    await emu.inspect("DELETE", "/_emulator/rules")
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200


async def test_a_rule_fails_the_request_before_anything_is_written(emu: Emulator) -> None:
    """A 500 rule on create answers before the route runs: nothing is stored."""
    await emu.add_rule(status=500, method="POST", route=CONTACTS_ROUTE, times=1)
    response = await emu.create({"mobile": {"number": "+14155550801"}})
    assert response.status_code == 500
    assert await emu.contacts() == []


async def test_a_rule_carries_its_code_message_and_retry_after(emu: Emulator) -> None:
    """code, message and retry_after are what the answer carries; a 429 defaults to EMU-RATE-LIMIT."""
    await emu.add_rule(status=400, code="EMU-LIST-UNKNOWN", message="No such list", times=1)
    await emu.add_rule(status=429, retry_after=7, times=1)
    await emu.add_rule(status=429, times=1)
    first = await emu.http.get(CONTACTS_PATH)
    assert first.status_code == 400
    assert first.json()["error"] == {"code": "EMU-LIST-UNKNOWN", "message": "No such list"}
    second = await emu.http.get(CONTACTS_PATH)
    assert_error(second.json(), "EMU-RATE-LIMIT")
    assert second.headers["Retry-After"] == "7"
    third = await emu.http.get(CONTACTS_PATH)
    assert third.status_code == 429
    assert "Retry-After" not in third.headers


async def test_rules_come_after_auth_and_account(emu: Emulator) -> None:
    """A request without a token gets 401 and one for another account 403: the rule is not used."""
    await emu.add_rule(status=503, times=1)
    assert (await emu.http.get(CONTACTS_PATH, headers={"Authorization": ""})).status_code == 401
    assert (await emu.http.get("/v1/accounts/other/contacts")).status_code == 403
    [rule] = await _rules(emu)
    assert rule["times"] == 1


async def test_rules_come_before_the_random_faults(make_emulator: MakeEmulator) -> None:
    """A rule's answer spends no token from the rate-limit bucket."""
    emu = await make_emulator(rate_limit=0.01, burst=1).login()
    await emu.add_rule(status=500, times=1)
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 500
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 429


async def test_a_mobile_rule_matches_the_normalised_mobile_of_a_create(emu: Emulator) -> None:
    """A rule naming +E164 matches a create sending that number in national form; others pass."""
    await emu.add_rule(mobile="+447700900801", status=400, code="CONT-001")
    other = await emu.create({"mobile": {"number": "+447700900802"}})
    assert other.status_code == 201
    matched = await emu.create({"mobile": {"number": "07700 900801", "country": "GB"}})
    assert matched.status_code == 400
    assert_error(matched.json(), "CONT-001")
    assert [c["mobile"]["number"] for c in await emu.contacts()] == ["+447700900802"]


async def test_a_mobile_rule_matches_a_put_body_and_never_a_read(emu: Emulator) -> None:
    """A mobile rule matches a PUT that sends the mobile; a GET (no body) never matches it."""
    created = await emu.create_ok({"mobile": {"number": "+14155550803"}})
    await emu.add_rule(mobile="+14155550803", status=503)
    path = f"{CONTACTS_PATH}/{created['id']}"
    assert (await emu.http.get(path)).status_code == 200
    assert (await emu.http.put(path, json={"firstName": "No mobile sent"})).status_code == 200
    assert (await emu.http.put(path, json={"mobile": {"number": "+14155550803"}})).status_code == 503
    assert await emu.count("PUT", CONTACT_ROUTE, 503) == 1


async def test_a_mobile_rule_turns_its_csv_row_into_a_row_error(emu: Emulator) -> None:
    """In a CSV upload, the row with the rule's mobile is a row error with its code; the rest import."""
    await emu.add_rule(mobile="+14155550805", status=400, code="EMU-LIST-UNKNOWN", times=1)
    text = "mobile,firstName\n+14155550804,A\n+1 415 555 0805,B\n+14155550806,C\n"
    response = await emu.http.post(CONTACTS_PATH, content=text.encode(), headers=CSV)
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["inserted"], data["submitted"]) == (2, 3)
    assert [(e["row"], e["code"]) for e in data["errors"]] == [(2, "EMU-LIST-UNKNOWN")]
    [rule] = await _rules(emu)
    assert (rule["times"], rule["hits"]) == (0, 1)


async def test_a_rule_with_method_and_route_leaves_other_requests_alone(emu: Emulator) -> None:
    """A POST-contacts rule does not touch GETs, the token route or other routes."""
    await emu.add_rule(method="post", route=CONTACTS_ROUTE, status=503)
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200
    assert (await emu.http.get(f"{CONTACTS_PATH}/{'0' * 24}")).status_code == 404
    assert (await emu.http.post("/oauth2/token", json=TOKEN_REQUEST)).status_code == 200
    assert (await emu.create({"mobile": {"number": "+14155550807"}})).status_code == 503


async def test_a_drop_rule_commits_the_write_then_drops_the_connection(emu: Emulator) -> None:
    """drop: the write is stored, the client sees a transport error, stats count it as dropped."""
    await emu.add_rule(drop=True, mobile="+14155550808", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        await emu.create({"firstName": "Kept", "mobile": {"number": "+14155550808"}})
    assert [c["firstName"] for c in await emu.contacts()] == ["Kept"]
    stats = await emu.stats()
    assert stats["dropped"] == 1
    assert await emu.count("POST", CONTACTS_ROUTE, 201) == 1
    assert (await emu.create({"mobile": {"number": "+14155550808"}})).status_code == 201


async def test_a_rule_can_fail_the_token_route(emu: Emulator) -> None:
    """A rule on /oauth2/token answers token requests with its status."""
    await emu.add_rule(route="/oauth2/token", status=503, times=1)
    assert (await emu.http.post("/oauth2/token", json=TOKEN_REQUEST)).status_code == 503
    assert (await emu.http.post("/oauth2/token", json=TOKEN_REQUEST)).status_code == 200


async def test_rules_are_cleared_one_by_one_all_at_once_and_by_reset(emu: Emulator) -> None:
    """DELETE /_emulator/rules/{id}, DELETE /_emulator/rules and POST /_emulator/reset remove rules."""
    first = await emu.add_rule(status=500)
    await emu.add_rule(status=503)
    await emu.inspect("DELETE", f"/_emulator/rules/{first['id']}")
    assert [r["status"] for r in await _rules(emu)] == [503]
    missing = await emu.http.delete(f"/_emulator/rules/{first['id']}")
    assert missing.status_code == 404
    await emu.inspect("DELETE", "/_emulator/rules")
    assert await _rules(emu) == []
    await emu.add_rule(status=500)
    await emu.inspect("POST", "/_emulator/reset")
    assert await _rules(emu) == []
    assert (await emu.http.get(CONTACTS_PATH)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": 200},
        {"status": 600},
        {"status": "500"},
        {"status": True},
        {"drop": True, "status": 500},
        {"drop": True, "code": "X"},
        {"drop": "yes"},
        {"status": 500, "route": CONTACTS_PATH},  # a path, not a route template
        {"status": 500, "method": "PATCH"},
        {"status": 500, "mobile": "12"},
        {"status": 500, "times": 0},
        {"status": 500, "retry_after": -1},
        {"status": 500, "code": ""},
        {"status": 500, "colour": "red"},
        [1],
    ],
)
async def test_invalid_rules_are_400(emu: Emulator, body: object) -> None:
    """A rule that is incomplete, contradictory or names an unknown route or field is refused."""
    response = await emu.http.post("/_emulator/rules", json=body)
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")
    assert await _rules(emu) == []


@pytest.mark.parametrize(
    ("header", "status", "code", "retry_after"),
    [
        ("429", 429, "EMU-RATE-LIMIT", "1"),
        ("500", 500, "EMU-FAULT-500", None),
        ("503", 503, "EMU-FAULT-503", None),
        ("400 EMU-LIST-UNKNOWN", 400, "EMU-LIST-UNKNOWN", None),
        ("404", 404, "EMU-NOT-FOUND", None),
    ],
)
async def test_the_fault_header_answers_that_one_request(
    emu: Emulator, header: str, status: int, code: str, retry_after: str | None
) -> None:
    """X-Emulator-Fault answers the request carrying it as asked, and nothing is written."""
    response = await emu.create({"mobile": {"number": "+14155550810"}}, headers={"X-Emulator-Fault": header})
    assert response.status_code == status
    assert_error(response.json(), code)
    assert response.headers.get("Retry-After") == retry_after
    assert await emu.contacts() == []
    assert (await emu.create({"mobile": {"number": "+14155550810"}})).status_code == 201


async def test_the_drop_header_commits_then_drops(emu: Emulator) -> None:
    """X-Emulator-Fault: drop stores the write and drops the connection before the body."""
    with pytest.raises(httpx.RemoteProtocolError):
        await emu.create({"mobile": {"number": "+14155550811"}}, headers={"X-Emulator-Fault": "drop"})
    assert len(await emu.contacts()) == 1
    assert (await emu.stats())["dropped"] == 1


async def test_a_failed_write_is_never_dropped(emu: Emulator) -> None:
    """A drop only follows a 2xx: an invalid create answers its 400 in full."""
    response = await emu.create({"mobile": {"number": "12"}}, headers={"X-Emulator-Fault": "drop"})
    assert response.status_code == 400
    assert (await emu.stats())["dropped"] == 0


async def test_the_fault_header_works_on_the_token_route_and_is_checked_after_auth(emu: Emulator) -> None:
    """The header fails a token request; on an API route a bad token still answers 401 first."""
    token = await emu.http.post("/oauth2/token", json=TOKEN_REQUEST, headers={"X-Emulator-Fault": "503"})
    assert token.status_code == 503
    unauthorised = await emu.http.get(
        CONTACTS_PATH, headers={"Authorization": "Bearer x", "X-Emulator-Fault": "503"}
    )
    assert unauthorised.status_code == 401


@pytest.mark.parametrize("header", ["abc", "200", "99", "5OO", "", "400 EMU-A EMU-B", "4" * 40])
async def test_a_malformed_fault_header_is_400(emu: Emulator, header: str) -> None:
    """A header value that is not drop or a 4xx/5xx status is 400 EMU-BAD-REQUEST."""
    response = await emu.http.get(CONTACTS_PATH, headers={"X-Emulator-Fault": header})
    assert response.status_code == 400
    assert_error(response.json(), "EMU-BAD-REQUEST")

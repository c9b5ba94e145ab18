"""Token endpoint and bearer checks."""

from __future__ import annotations

import asyncio

import jwt

from .conftest import CONTACTS, CREDENTIALS, MakeEmulator
from .schema import assert_error


async def test_token_from_json_body_is_a_jwt_with_exp_ttl_ahead(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(token_ttl=120)
    response = await emulator.client.post("/oauth2/token", json=CREDENTIALS)
    assert response.status_code == 200
    body = response.json()
    assert "expires_in" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert 110 < claims["exp"] - claims["iat"] <= 121


async def test_token_from_form_body_is_accepted(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    response = await emulator.client.post("/oauth2/token", data=CREDENTIALS)
    assert response.status_code == 200
    assert response.json()["access_token"].count(".") == 2


async def test_bad_credentials_are_401(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    response = await emulator.client.post("/oauth2/token", json={**CREDENTIALS, "client_secret": "nope"})
    assert response.status_code == 401
    assert_error(response.json(), "EMU-AUTH-CREDENTIALS")


async def test_wrong_grant_type_is_400(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    response = await emulator.client.post("/oauth2/token", json={**CREDENTIALS, "grant_type": "password"})
    assert response.status_code == 400


async def test_missing_or_malformed_bearer_is_401(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}):
        response = await emulator.client.get(CONTACTS, headers=headers)
        assert response.status_code == 401, headers
        assert_error(response.json(), "EMU-AUTH-TOKEN")


async def test_token_signed_with_another_key_is_401(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator()
    forged = jwt.encode({"sub": "demo-client", "account": "demo-account", "exp": 2e9}, "k" * 32)
    response = await emulator.client.get(CONTACTS, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_expired_token_is_401(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(token_ttl=0.5)
    await emulator.login()
    assert (await emulator.client.get(CONTACTS)).status_code == 200
    await asyncio.sleep(0.55)
    response = await emulator.client.get(CONTACTS)
    assert response.status_code == 401
    assert_error(response.json(), "EMU-AUTH-TOKEN")


async def test_other_account_is_403_acct_008(make_emulator: MakeEmulator) -> None:
    emulator = await (await make_emulator()).login()
    response = await emulator.client.get("/v1/accounts/someone-else/contacts")
    assert response.status_code == 403
    assert_error(response.json(), "ACCT-008")

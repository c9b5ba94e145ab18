"""Token endpoint and bearer checks."""

from __future__ import annotations

import asyncio

import jwt

from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID
from tests.support.emulator import CONTACTS_PATH, TOKEN_REQUEST, MakeEmulator

from .schema import assert_error


async def test_token_from_json_body_is_a_jwt_with_exp_ttl_ahead(make_emulator: MakeEmulator) -> None:
    """A JSON token request answers a JWT whose exp is token_ttl after iat, and no expires_in."""
    emulator = make_emulator(token_ttl=120)
    response = await emulator.http.post("/oauth2/token", json=TOKEN_REQUEST)
    assert response.status_code == 200
    body = response.json()
    assert "expires_in" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert 110 < claims["exp"] - claims["iat"] <= 121


async def test_token_from_form_body_is_accepted(make_emulator: MakeEmulator) -> None:
    """A form-encoded token request is accepted like a JSON one."""
    emulator = make_emulator()
    response = await emulator.http.post("/oauth2/token", data=TOKEN_REQUEST)
    assert response.status_code == 200
    assert response.json()["access_token"].count(".") == 2


async def test_bad_credentials_are_401(make_emulator: MakeEmulator) -> None:
    """A wrong client secret is 401 EMU-AUTH-CREDENTIALS."""
    emulator = make_emulator()
    response = await emulator.http.post("/oauth2/token", json={**TOKEN_REQUEST, "client_secret": "nope"})
    assert response.status_code == 401
    assert_error(response.json(), "EMU-AUTH-CREDENTIALS")


async def test_wrong_grant_type_is_400(make_emulator: MakeEmulator) -> None:
    """Only grant_type client_credentials is accepted."""
    emulator = make_emulator()
    response = await emulator.http.post("/oauth2/token", json={**TOKEN_REQUEST, "grant_type": "password"})
    assert response.status_code == 400


async def test_missing_or_malformed_bearer_is_401(make_emulator: MakeEmulator) -> None:
    """No Authorization header, a non-JWT bearer and a non-Bearer scheme are all 401 EMU-AUTH-TOKEN."""
    emulator = make_emulator()
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}):
        response = await emulator.http.get(CONTACTS_PATH, headers=headers)
        assert response.status_code == 401, headers
        assert_error(response.json(), "EMU-AUTH-TOKEN")


async def test_token_signed_with_another_key_is_401(make_emulator: MakeEmulator) -> None:
    """A well-formed JWT the emulator did not sign is refused."""
    emulator = make_emulator()
    forged = jwt.encode({"sub": DEMO_CLIENT_ID, "account": DEMO_ACCOUNT_ID, "exp": 2e9}, "k" * 32)
    response = await emulator.http.get(CONTACTS_PATH, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_expired_token_is_401(make_emulator: MakeEmulator) -> None:
    """A token is refused with 401 EMU-AUTH-TOKEN once its exp has passed."""
    emulator = await make_emulator(token_ttl=0.5).login()
    assert (await emulator.http.get(CONTACTS_PATH)).status_code == 200
    await asyncio.sleep(0.55)  # sleeps never end early, and exp is now + 0.5 s: past it for sure
    response = await emulator.http.get(CONTACTS_PATH)
    assert response.status_code == 401
    assert_error(response.json(), "EMU-AUTH-TOKEN")


async def test_other_account_is_403_acct_008(make_emulator: MakeEmulator) -> None:
    """An account id in the path other than the token's is 403 ACCT-008."""
    emulator = await make_emulator().login()
    response = await emulator.http.get("/v1/accounts/someone-else/contacts")
    assert response.status_code == 403
    assert_error(response.json(), "ACCT-008")

"""OAuth2 client-credentials tokens: HS256 JWTs whose `exp` the emulator enforces to the millisecond."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import jwt

from .exceptions import InvalidCredentialsError, InvalidTokenError, WrongAccountError

_ISSUER = "sakari-emulator"
_CACHE_LIMIT = 10_000


class TokenAuthority:
    """Issues tokens for the emulator's one client and account, and checks bearer tokens."""

    def __init__(self, client_id: str, client_secret: str, account_id: str) -> None:
        self.client_id = client_id
        self.account_id = account_id
        self._secret = client_secret
        # Derived from the credentials, so a restarted emulator accepts the tokens it issued before.
        self._key = hashlib.sha256(f"{_ISSUER}:{client_id}:{client_secret}".encode()).digest()
        self._checked: dict[str, tuple[str, float]] = {}

    def issue(self, client_id: str, client_secret: str, ttl: float) -> str:
        """A JWT for valid credentials (`exp` = now + ttl, millisecond precision); else 401."""
        good_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(client_secret.encode(), self._secret.encode())
        if not (good_id and good_secret):
            raise InvalidCredentialsError()
        now = time.time()
        claims = {
            "iss": _ISSUER,
            "sub": self.client_id,
            "account": self.account_id,
            "iat": int(now),
            "exp": round(now + ttl, 3),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def authorize(self, authorization: str | None, account_id: str) -> None:
        """Check an `Authorization` header for `account_id`: 401 if missing/bad/expired, 403 ACCT-008."""
        if not authorization:
            raise InvalidTokenError("Missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidTokenError("Authorization must be 'Bearer <token>'")
        account, expires = self._decode(token.strip())
        if expires <= time.time():
            raise InvalidTokenError("Access token expired")
        if account != account_id:
            raise WrongAccountError()

    def _decode(self, token: str) -> tuple[str, float]:
        known = self._checked.get(token)
        if known is not None:
            return known
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=_ISSUER,
                options={"verify_exp": False, "require": ["exp", "sub", "account"]},
            )
            checked = (str(claims["account"]), float(claims["exp"]))
        except (jwt.PyJWTError, TypeError, ValueError):
            raise InvalidTokenError("Malformed or unknown access token") from None
        if len(self._checked) >= _CACHE_LIMIT:
            self._checked.clear()
        self._checked[token] = checked
        return checked

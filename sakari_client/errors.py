"""What can go wrong talking to Sakari, named for what the caller does next.

    SakariError(status, code, message)
    ├── TransientError            retry: 429, 5xx, 408, dropped connections, timeouts
    │   └── RateLimitedError      429; `retry_after` in seconds when the server said so
    ├── FatalError                stop: retrying will not help
    │   ├── AuthenticationError   401 (after one token refresh), or bad client credentials
    │   ├── AccountError          403, e.g. ACCT-008 "Account ID is invalid"
    │   ├── NotFoundError         404, no such contact
    │   └── MalformedResponseError  a 2xx answer that is not the JSON Sakari documents
    └── ContactRejectedError      400/422, e.g. CONT-001 invalid mobile: record it, go on
        └── UnconfirmedContactError  accepted, but the answer carries no contact id

Every error carries the HTTP status (None when no answer arrived), Sakari's error code (None when
the answer had none) and a message. The message passes through `redact`, so neither `str()` nor
`repr()` of an error can show a raw phone number, a token or a secret. A failure with no answer
also carries `url`, the server and path it tried (`https://host:443/v1/...`, never the query), and
names it in its message: "no response: ConnectError: ... (POST https://host:443/v1/...)".
"""

from __future__ import annotations

from sakari_client.redaction import redact


class SakariError(Exception):
    """Base of every error the client raises."""

    def __init__(self, status: int | None, code: str | None, message: str, *, url: str | None = None) -> None:
        self.status = status
        self.code = code
        self.url = url
        # The URL is added after redaction: it holds no query, and a host's IP address must not be
        # masked as if it were a phone number.
        self.message = redact(message) + (f" ({url})" if url else "")
        super().__init__(self.status, self.code, self.message)

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f" {self.code}" if self.code else ""
        return f"{where}{code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep every field (url, retry_after) when the error crosses a process boundary (pickled
        # task results), without redacting or suffixing the message a second time.
        return (_restore, (type(self), self.args, self.__dict__))


class TransientError(SakariError):
    """The call may succeed if repeated later: the client's retry layer retries these."""


class RateLimitedError(TransientError):
    """Sakari answered 429. `retry_after` is the pause it asked for, or None if it named none."""

    def __init__(
        self, status: int | None, code: str | None, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, retry_after={self.retry_after!r})"


class FatalError(SakariError):
    """Repeating the call will not help: fix the configuration or the request, then run again."""


class AuthenticationError(FatalError):
    """The credentials were refused, or a fresh token was refused again."""


class AccountError(FatalError):
    """The token is valid but not for this account, or lacks access (403, ACCT-008, ACCT-016)."""


class NotFoundError(FatalError):
    """The contact does not exist (404)."""


class MalformedResponseError(FatalError):
    """A success status with a body that is not the JSON Sakari documents.

    A dropped or truncated body surfaces as a transport failure (transient) before this point, so
    what is left is a complete answer in the wrong shape, e.g. an HTML page from a proxy or an API
    change. Repeating the call would get the same answer; a person has to look.
    """


class ContactRejectedError(SakariError):
    """Sakari refused this one contact (e.g. CONT-001 invalid mobile): record it and go on."""


class UnconfirmedContactError(ContactRejectedError):
    """Sakari answered a create with success but no contact id: whether the contact exists, and
    which one it is, cannot be told from the answer. Record this one contact and go on; a later
    run, or a read-back by mobile, settles it."""


def _restore(cls: type[SakariError], args: tuple[object, ...], state: dict[str, object]) -> SakariError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error

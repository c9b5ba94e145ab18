"""A hand-made Sakari for what the emulator cannot produce: `httpx.MockTransport` answers in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from sakari_client import SakariClient

TOKEN = {"access_token": "opaque-token", "token_type": "Bearer"}
CONTACT = {"id": "c" * 24, "mobile": {"number": "+14155550123"}}
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **kwargs: Any) -> SakariClient:
    """A client whose every request goes to `handler`."""
    return SakariClient(
        "https://sakari.test",
        "acct",
        "id",
        "secret",
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


def api(answers: list[httpx.Response], seen: list[httpx.Request] | None = None) -> Handler:
    """A server that grants tokens and plays `answers` in order to API calls (recorded in `seen`)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json=TOKEN)
        if seen is not None:
            seen.append(request)
        return answers.pop(0)

    return handler


def ok(body: object = None, status: int = 201) -> httpx.Response:
    """A success answer: `body`, or Sakari's create answer for `CONTACT`."""
    return httpx.Response(status, json=body or {"success": True, "data": [CONTACT]})


def page(contacts: list[dict[str, Any]], **pagination: Any) -> httpx.Response:
    """A listing page with exactly the pagination fields given."""
    return httpx.Response(200, json={"success": True, "pagination": pagination, "data": contacts})


def person(n: int) -> dict[str, Any]:
    """A listed contact with id `p<n>` and a distinct mobile."""
    return {"id": f"p{n}", "mobile": {"number": f"+1415666{n:04d}"}}

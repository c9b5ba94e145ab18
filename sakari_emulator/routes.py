"""Sakari's API routes: each parses the request, calls the backend and serialises the answer.

Every `/v1/accounts/{accountId}/...` route first checks the bearer token (401) and the account (403
ACCT-008), then the deterministic faults (an `X-Emulator-Fault` header, else the first matching fault
rule), then the random fault plan (429 windows and buckets, injected 500/503), in that order.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .exceptions import ApiError
from .models import EmulatorBackend
from .parsing import (
    parse_contact,
    parse_csv,
    parse_filters,
    parse_json,
    parse_merge_strategy,
    parse_page,
    parse_token_request,
    peek_mobile,
)
from .render import render_bulk, render_contact, render_created, render_page
from .rules import DROP, DROP_KEY, FAULT_HEADER, Fault, parse_fault_header

TOKEN: Final = "/oauth2/token"  # noqa: S105 - the token route, not a password
CONTACTS: Final = "/v1/accounts/{accountId}/contacts"
CONTACT: Final = "/v1/accounts/{accountId}/contacts/{contactId}"
TEMPLATES: tuple[str, ...] = (TOKEN, CONTACTS, CONTACT)


def backend_of(request: Request) -> EmulatorBackend:
    backend: EmulatorBackend = request.app.state.emulator
    return backend


async def _guard(request: Request, route: str, *, body_mobile: bool = False) -> EmulatorBackend:
    backend = backend_of(request)
    account_id = request.path_params["accountId"]
    backend.tokens.authorize(request.headers.get("authorization"), account_id)
    await _inject_fault(request, backend, route, body_mobile)
    backend.faults.admit(account_id)
    return backend


async def _inject_fault(request: Request, backend: EmulatorBackend, route: str, body_mobile: bool) -> None:
    """Answer with the header's or the first matching rule's fault, if any (a drop is only marked)."""
    header = request.headers.get(FAULT_HEADER)
    fault: Fault | None
    if header is not None:
        fault = parse_fault_header(header, backend.faults.retry_after)
    elif backend.rules:
        mobile = None
        if body_mobile and backend.rules.wants_mobile and not _is_csv(request):
            mobile = peek_mobile(await request.body())
        fault = backend.rules.take(request.method, route, mobile)
    else:
        return
    if fault == DROP:
        request.scope[DROP_KEY] = True
    elif fault is not None:
        raise fault


def _is_csv(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("text/csv")


async def issue_token(request: Request) -> Response:
    """POST /oauth2/token: client credentials (JSON or form) -> `{access_token, token_type}`."""
    backend = backend_of(request)
    await _inject_fault(request, backend, TOKEN, body_mobile=False)
    backend.faults.inject_error()
    fields = parse_token_request(await request.body(), request.headers.get("content-type", "").lower())
    if fields.get("grant_type") != "client_credentials":
        raise ApiError("grant_type must be client_credentials")
    token = backend.tokens.issue(
        fields.get("client_id", ""), fields.get("client_secret", ""), backend.faults.token_ttl
    )
    return JSONResponse({"access_token": token, "token_type": "Bearer"})


async def create_contacts(request: Request) -> Response:
    """POST contacts: upsert one contact (JSON) or many (`Content-Type: text/csv`)."""
    backend = await _guard(request, CONTACTS, body_mobile=True)
    strategy = parse_merge_strategy(request.query_params)
    body = await request.body()
    if _is_csv(request):
        check = backend.rules.row_check(request.method, CONTACTS) if backend.rules else None
        result = backend.bulk_upsert(parse_csv(body), strategy, check)
        answer = render_bulk(result, backend.list_names(), backend.styles["bulk_answer_style"])
        return JSONResponse(answer, status_code=201)
    contact, _ = backend.create_contact(parse_contact(parse_json(body)), strategy)
    answer = render_created(contact, backend.list_names(), backend.styles["pagination_style"])
    return JSONResponse(answer, status_code=201)


async def list_contacts(request: Request) -> Response:
    """GET contacts: a page in creation order, with partial-match filters."""
    backend = await _guard(request, CONTACTS)
    offset, limit = parse_page(request.query_params)
    contacts, total = backend.list_contacts(parse_filters(request.query_params), offset, limit)
    style = backend.styles["pagination_style"]
    return JSONResponse(render_page(contacts, backend.list_names(), offset, limit, total, style))


async def get_contact(request: Request) -> Response:
    """GET one contact by id."""
    backend = await _guard(request, CONTACT)
    contact = backend.get_contact(request.path_params["contactId"])
    return JSONResponse({"success": True, "data": render_contact(contact, backend.list_names())})


async def update_contact(request: Request) -> Response:
    """PUT one contact: replaces the editable fields."""
    backend = await _guard(request, CONTACT, body_mobile=True)
    data = parse_contact(parse_json(await request.body()))
    contact = backend.update_contact(request.path_params["contactId"], data)
    return JSONResponse({"success": True, "data": render_contact(contact, backend.list_names())})


async def delete_contact(request: Request) -> Response:
    """DELETE one contact."""
    backend = await _guard(request, CONTACT)
    backend.delete_contact(request.path_params["contactId"])
    return JSONResponse({"success": True})


ROUTES = [
    Route(TOKEN, issue_token, methods=["POST"]),
    Route(CONTACTS, create_contacts, methods=["POST"]),
    Route(CONTACTS, list_contacts, methods=["GET"]),
    Route(CONTACT, get_contact, methods=["GET"]),
    Route(CONTACT, update_contact, methods=["PUT"]),
    Route(CONTACT, delete_contact, methods=["DELETE"]),
]

"""Sakari's API routes: each parses the request, calls the backend and serialises the answer.

Every `/v1/accounts/{accountId}/...` route first checks the bearer token (401), the account (403
ACCT-008), then the fault plan (429 windows and buckets, injected 500/503), in that order.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .exceptions import SakariError
from .models import EmulatorBackend
from .parsing import (
    parse_contact,
    parse_csv,
    parse_filters,
    parse_json,
    parse_merge_strategy,
    parse_page,
    parse_token_request,
)
from .render import render_bulk, render_contact, render_page

CONTACTS = "/v1/accounts/{accountId}/contacts"
CONTACT = "/v1/accounts/{accountId}/contacts/{contactId}"


def backend_of(request: Request) -> EmulatorBackend:
    backend: EmulatorBackend = request.app.state.emulator
    return backend


def _guard(request: Request) -> EmulatorBackend:
    backend = backend_of(request)
    account_id = request.path_params["accountId"]
    backend.tokens.authorize(request.headers.get("authorization"), account_id)
    backend.faults.admit(account_id)
    return backend


async def issue_token(request: Request) -> Response:
    """POST /oauth2/token: client credentials (JSON or form) -> `{access_token, token_type}`."""
    backend = backend_of(request)
    backend.faults.inject_error()
    fields = parse_token_request(await request.body(), request.headers.get("content-type", "").lower())
    if fields.get("grant_type") != "client_credentials":
        raise SakariError("grant_type must be client_credentials")
    token = backend.tokens.issue(
        fields.get("client_id", ""), fields.get("client_secret", ""), backend.faults.token_ttl
    )
    return JSONResponse({"access_token": token, "token_type": "Bearer"})


async def create_contacts(request: Request) -> Response:
    """POST contacts: upsert one contact (JSON) or many (`Content-Type: text/csv`)."""
    backend = _guard(request)
    strategy = parse_merge_strategy(request.query_params)
    body = await request.body()
    if request.headers.get("content-type", "").lower().startswith("text/csv"):
        result = backend.bulk_upsert(parse_csv(body), strategy)
        return JSONResponse(render_bulk(result, backend.list_names()), status_code=201)
    contact, _ = backend.create_contact(parse_contact(parse_json(body)), strategy)
    answer = {
        "success": True,
        "pagination": {"offset": 0, "limit": 1, "totalCount": 1, "hasNext": False},
        "data": [render_contact(contact, backend.list_names())],
    }
    return JSONResponse(answer, status_code=201)


async def list_contacts(request: Request) -> Response:
    """GET contacts: a page in creation order, with partial-match filters."""
    backend = _guard(request)
    offset, limit = parse_page(request.query_params)
    contacts, total = backend.list_contacts(parse_filters(request.query_params), offset, limit)
    return JSONResponse(render_page(contacts, backend.list_names(), offset, limit, total))


async def get_contact(request: Request) -> Response:
    backend = _guard(request)
    contact = backend.get_contact(request.path_params["contactId"])
    return JSONResponse({"success": True, "data": render_contact(contact, backend.list_names())})


async def update_contact(request: Request) -> Response:
    """PUT one contact: replaces the editable fields."""
    backend = _guard(request)
    data = parse_contact(parse_json(await request.body()))
    contact = backend.update_contact(request.path_params["contactId"], data)
    return JSONResponse({"success": True, "data": render_contact(contact, backend.list_names())})


async def delete_contact(request: Request) -> Response:
    backend = _guard(request)
    backend.delete_contact(request.path_params["contactId"])
    return JSONResponse({"success": True})


ROUTES = [
    Route("/oauth2/token", issue_token, methods=["POST"]),
    Route(CONTACTS, create_contacts, methods=["POST"]),
    Route(CONTACTS, list_contacts, methods=["GET"]),
    Route(CONTACT, get_contact, methods=["GET"]),
    Route(CONTACT, update_contact, methods=["PUT"]),
    Route(CONTACT, delete_contact, methods=["DELETE"]),
]

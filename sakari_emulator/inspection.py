"""Emulator-only routes under `/_emulator/` (no auth, no faults, not counted in the statistics)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .exceptions import InvalidMobileError, SakariError
from .parsing import parse_json
from .render import render_contact
from .responses import backend_of


async def stats(request: Request) -> Response:
    """Request counts by method, route template and status: `{requests, total, dropped}`."""
    return JSONResponse(backend_of(request).stats())


async def reset(request: Request) -> Response:
    """Forget every contact, block and count; keep the lists and the fault settings."""
    backend_of(request).reset()
    return JSONResponse({"success": True})


async def block(request: Request) -> Response:
    """Block a mobile as a STOP reply would: `{"mobile": "+E164"}` (optional `"country"`)."""
    backend = backend_of(request)
    body = parse_json(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("mobile"), str):
        raise InvalidMobileError('Body must be {"mobile": "<number>"}')
    country = body.get("country")
    if country is not None and not isinstance(country, str):
        raise SakariError("country must be a string")
    mobile, blocked, contact = backend.block_mobile(body["mobile"], country)
    data = {
        "mobile": mobile,
        "blocked": blocked,
        "contact": None if contact is None else render_contact(contact, backend.list_names()),
    }
    return JSONResponse({"success": True, "data": data})


async def lists(request: Request) -> Response:
    """Every list in the account: `[{"id", "name"}]`."""
    return JSONResponse([{"id": list_id, "name": name} for list_id, name in backend_of(request).lists()])


async def contacts(request: Request) -> Response:
    """Every contact, fully rendered, in creation order."""
    backend = backend_of(request)
    names = backend.list_names()
    return JSONResponse([render_contact(c, names) for c in backend.all_contacts()])


async def faults(request: Request) -> Response:
    """Change fault settings at runtime (any subset of the fault fields); answers the full set."""
    body = parse_json(await request.body())
    if not isinstance(body, dict):
        raise SakariError("Body must be a JSON object of fault settings")
    try:
        settings = backend_of(request).faults.update(body)
    except ValueError as exc:
        raise SakariError(str(exc)) from None
    return JSONResponse({"success": True, "data": settings})


ROUTES = [
    Route("/_emulator/stats", stats, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/block", block, methods=["POST"]),
    Route("/_emulator/lists", lists, methods=["GET"]),
    Route("/_emulator/contacts", contacts, methods=["GET"]),
    Route("/_emulator/faults", faults, methods=["PATCH"]),
]

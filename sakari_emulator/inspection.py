"""Emulator-only routes under `/_emulator/` (no auth, no faults, not counted in the statistics):
statistics, reset, blocks, lists, contacts, fault settings, answer styles and fault rules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .exceptions import ApiError, InvalidMobileError, RuleNotFoundError
from .parsing import parse_json
from .render import render_contact
from .routes import TEMPLATES, backend_of


async def stats(request: Request) -> Response:
    """Request counts by method, route template and status: `{requests, total, dropped}`."""
    return JSONResponse(backend_of(request).stats())


async def reset(request: Request) -> Response:
    """Forget every contact, block, count and fault rule; keep the lists, fault settings and styles."""
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
        raise ApiError("country must be a string")
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
    body = await _object(request, "fault settings")
    try:
        settings = backend_of(request).faults.update(body)
    except ValueError as exc:
        raise ApiError(str(exc)) from None
    return JSONResponse({"success": True, "data": settings})


async def styles(request: Request) -> Response:
    """Change the answer styles (`pagination_style`, `bulk_answer_style`); answers both."""
    body = await _object(request, "answer styles")
    try:
        settings = backend_of(request).set_styles(body)
    except ValueError as exc:
        raise ApiError(str(exc)) from None
    return JSONResponse({"success": True, "data": settings})


async def add_rule(request: Request) -> Response:
    """Add a fault rule; answers it with its id."""
    body = await _object(request, "a fault rule")
    try:
        rule = backend_of(request).rules.add(body, TEMPLATES)
    except ValueError as exc:
        raise ApiError(str(exc)) from None
    return JSONResponse({"success": True, "data": rule.to_json()}, status_code=201)


async def list_rules(request: Request) -> Response:
    """Every fault rule, with what is left of its `times` and its `hits`."""
    return JSONResponse({"success": True, "data": backend_of(request).rules.to_json()})


async def clear_rules(request: Request) -> Response:
    """Remove every fault rule."""
    backend_of(request).rules.clear()
    return JSONResponse({"success": True})


async def delete_rule(request: Request) -> Response:
    """Remove one fault rule by id (404 EMU-NOT-FOUND if there is none)."""
    if not backend_of(request).rules.remove(request.path_params["ruleId"]):
        raise RuleNotFoundError()
    return JSONResponse({"success": True})


async def _object(request: Request, what: str) -> dict[str, object]:
    body = parse_json(await request.body())
    if not isinstance(body, dict):
        raise ApiError(f"Body must be a JSON object of {what}")
    return body


ROUTES = [
    Route("/_emulator/stats", stats, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/block", block, methods=["POST"]),
    Route("/_emulator/lists", lists, methods=["GET"]),
    Route("/_emulator/contacts", contacts, methods=["GET"]),
    Route("/_emulator/faults", faults, methods=["PATCH"]),
    Route("/_emulator/styles", styles, methods=["PATCH"]),
    Route("/_emulator/rules", add_rule, methods=["POST"]),
    Route("/_emulator/rules", list_rules, methods=["GET"]),
    Route("/_emulator/rules", clear_rules, methods=["DELETE"]),
    Route("/_emulator/rules/{ruleId:int}", delete_rule, methods=["DELETE"]),
]

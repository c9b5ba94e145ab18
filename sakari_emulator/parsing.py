"""Turn request bodies and query strings into the backend's inputs, or 400 `SakariError`s.

Unknown JSON properties are ignored (Sakari's schemas are open). CSV uploads: a header row, then one
contact per row; `mobile`, `country`, `firstName`, `lastName`, `email` and `lists` (list ids separated
by `;` or `,`) are known columns (any case), every other column becomes a string attribute, and
empty cells count as absent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from .exceptions import InvalidMobileError, SakariError
from .models import MERGE_STRATEGIES, ContactInput, Scalar

FILTERS = ("firstName", "lastName", "mobile", "email")
_CSV_FIELDS = {"mobile": "mobile", "country": "country", "firstname": "first_name",
               "lastname": "last_name", "email": "email", "lists": "lists"}  # fmt: skip


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise SakariError("Body is not valid JSON") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_token_request(body: bytes, content_type: str) -> dict[str, str]:
    """The token request's fields, from a JSON or a form-encoded body."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            return dict(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise SakariError("Body is not valid form data") from None
    data = parse_json(body)
    if not isinstance(data, dict):
        raise SakariError("Body must be a JSON object")
    return {key: value for key, value in data.items() if isinstance(value, str)}


def parse_contact(data: Any) -> ContactInput:
    """A create or update body (`{firstName, lastName, email, mobile: {number, country}, ...}`)."""
    if not isinstance(data, dict):
        raise SakariError("Body must be a JSON object")
    mobile = data.get("mobile")
    if mobile is not None and not isinstance(mobile, dict):
        raise InvalidMobileError("Invalid mobile number: mobile must be an object {number, country}")
    mobile = mobile or {}
    return ContactInput(
        mobile=_text(mobile, "number", "mobile.number"),
        country=_text(mobile, "country", "mobile.country"),
        first_name=_text(data, "firstName"),
        last_name=_text(data, "lastName"),
        email=_text(data, "email"),
        attributes=_attributes(data.get("attributes")),
        lists=_lists(data.get("lists")),
    )


def parse_csv(body: bytes) -> list[ContactInput | SakariError]:
    """One entry per data row: its input, or the error that rejects it."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SakariError("CSV must be UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or "mobile" not in (name.strip().lower() for name in header):
        raise SakariError("CSV needs a header row with a mobile column")
    names = [_CSV_FIELDS.get(name.strip().lower(), name.strip()) for name in header]
    rows: list[ContactInput | SakariError] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            rows.append(SakariError(f"Row has {len(cells)} cells, the header {len(names)}"))
            continue
        rows.append(_csv_row(dict(zip(names, cells, strict=False))))
    return rows


def _csv_row(cells: dict[str, str]) -> ContactInput:
    known = {name: (cells.pop(name, "").strip() or None) for name in set(_CSV_FIELDS.values())}
    attributes: dict[str, Scalar] = {name: value for name, value in cells.items() if value.strip()}
    list_ids = (known["lists"] or "").replace(",", ";").split(";")
    return ContactInput(
        mobile=known["mobile"],
        country=known["country"],
        first_name=known["first_name"],
        last_name=known["last_name"],
        email=known["email"],
        attributes=attributes,
        lists=tuple(i.strip() for i in list_ids if i.strip()),
    )


def parse_merge_strategy(query: Mapping[str, str]) -> str:
    strategy = query.get("mergeStrategy", "append")
    if strategy not in MERGE_STRATEGIES:
        raise SakariError("mergeStrategy must be append, core or remove")
    return strategy


def parse_page(query: Mapping[str, str]) -> tuple[int, int]:
    """`(offset, limit)`: offset >= 0 (default 0), limit 1..100 (default 10)."""
    offset = _integer(query, "offset", 0)
    limit = _integer(query, "limit", 10)
    if offset < 0:
        raise SakariError("offset must be 0 or more")
    if not 1 <= limit <= 100:
        raise SakariError("limit must be between 1 and 100")
    return offset, limit


def parse_filters(query: Mapping[str, str]) -> dict[str, str]:
    return {name: query[name] for name in FILTERS if query.get(name)}


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SakariError(f"{name} must be an integer") from None


def _text(data: Mapping[str, Any], key: str, label: str | None = None) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise SakariError(f"{label or key} must be a string")


def _attributes(value: Any) -> dict[str, Scalar] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SakariError("attributes must be an object")
    for key, item in value.items():
        scalar = item is None or isinstance(item, str | int | bool)
        if not scalar and not (isinstance(item, float) and math.isfinite(item)):
            raise SakariError(f"attribute {key!r} must be a string, number, boolean or null")
    return value


def _lists(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str) for i in value
    ):
        raise SakariError('lists must be an array of {"id": "<list id>"}')
    return tuple(item["id"] for item in value)

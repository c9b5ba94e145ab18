"""Turn request bodies and query strings into the backend's inputs, or 400 `ApiError`s.

Paging numbers are strict: ASCII digits only (a leading `-` is read, then refused), and an `offset`
past 2^63 - 1 (SQLite's largest integer) is a 400, not a server error. Of the filters Sakari's
OpenAPI lists for `GET contacts`, `tags` is refused (`UnsupportedFilterError`): the newer
create-contact page gives contacts no tags, so the emulator stores none and could only answer wrong.

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
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from .exceptions import ApiError, InvalidMobileError, UnsupportedFilterError
from .merging import MERGE_STRATEGIES, ContactInput
from .phones import normalize_mobile
from .store import Scalar

FILTERS = ("firstName", "lastName", "mobile", "email")
REFUSED_FILTERS = {"tags": "contacts in the emulator carry no tags (the create-contact page has none)"}
_MAX_OFFSET = 2**63 - 1  # SQLite's largest integer; OpenAPI: int64
_INTEGER = re.compile(r"-?[0-9]+")
_CSV_FIELDS = {"mobile": "mobile", "country": "country", "firstname": "first_name",
               "lastname": "last_name", "email": "email", "lists": "lists"}  # fmt: skip


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; RecursionError: deep nesting
        raise ApiError("Body is not valid JSON") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_token_request(body: bytes, content_type: str) -> dict[str, str]:
    """The token request's fields, from a JSON or a form-encoded body."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            return dict(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError("Body is not valid form data") from None
    data = parse_json(body)
    if not isinstance(data, dict):
        raise ApiError("Body must be a JSON object")
    return {key: value for key, value in data.items() if isinstance(value, str)}


def parse_contact(data: Any) -> ContactInput:
    """A create or update body (`{firstName, lastName, email, mobile: {number, country}, ...}`)."""
    if not isinstance(data, dict):
        raise ApiError("Body must be a JSON object")
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


def parse_csv(body: bytes) -> list[ContactInput | ApiError]:
    """One entry per data row: its input, or the error that rejects it."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError("CSV must be UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or "mobile" not in (name.strip().lower() for name in header):
        raise ApiError("CSV needs a header row with a mobile column")
    names = [_CSV_FIELDS.get(name.strip().lower(), name.strip()) for name in header]
    rows: list[ContactInput | ApiError] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            rows.append(ApiError(f"Row has {len(cells)} cells, the header {len(names)}"))
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
        raise ApiError("mergeStrategy must be append, core or remove")
    return strategy


def parse_page(query: Mapping[str, str]) -> tuple[int, int]:
    """`(offset, limit)`: offset 0..2^63-1 (default 0), limit 1..100 (default 10); else 400."""
    offset = _integer(query, "offset", 0)
    limit = _integer(query, "limit", 10)
    if not 0 <= offset <= _MAX_OFFSET:
        raise ApiError(f"offset must be between 0 and {_MAX_OFFSET}")
    if not 1 <= limit <= 100:
        raise ApiError("limit must be between 1 and 100")
    return offset, limit


def parse_filters(query: Mapping[str, str]) -> dict[str, str]:
    """The partial-match filters that have a value; a documented filter the emulator refuses is 400."""
    for name, reason in REFUSED_FILTERS.items():
        if name in query:
            raise UnsupportedFilterError(f"The {name} filter is not supported: {reason}")
    return {name: query[name] for name in FILTERS if query.get(name)}


def peek_mobile(body: bytes) -> str | None:
    """The E.164 mobile of a JSON contact body, or None if it has no valid one (never raises)."""
    try:
        data = json.loads(body)
        mobile = data["mobile"]
        return normalize_mobile(mobile["number"], mobile.get("country"))[0]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, ApiError):
        return None


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    # Digits only (int() would take " 5", "1_0" and non-ASCII digits); 20 digits already exceed 2^63.
    if len(raw) > 21 or not _INTEGER.fullmatch(raw):
        raise ApiError(f"{name} must be a whole number")
    return int(raw)


def _text(data: Mapping[str, Any], key: str, label: str | None = None) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ApiError(f"{label or key} must be a string")


def _attributes(value: Any) -> dict[str, Scalar] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError("attributes must be an object")
    for key, item in value.items():
        scalar = item is None or isinstance(item, str | int | bool)
        if not scalar and not (isinstance(item, float) and math.isfinite(item)):
            raise ApiError(f"attribute {key!r} must be a string, number, boolean or null")
    return value


def _lists(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str) for i in value
    ):
        raise ApiError('lists must be an array of {"id": "<list id>"}')
    return tuple(item["id"] for item in value)

"""The payload's optional fields, a column at a time: each cell's JSON member, or why it is left out.

A member is the text the payload holds for that field (`"email":"ann@example.com",`, or
`"score":42` inside the attributes), or "" when the cell is empty or refused. A refused cell
(`values.BadFieldError`: too long, control characters, or a malformed email) is returned as a
`FieldIssue` beside the members; the transform decides whether that leaves the field out or
rejects the row.

Each function walks one column in a tight loop with a fast path for the types a warehouse column
usually holds (text, float, int, bool, date, NULL) and `values.clean_text` / `values.attribute_value`
for everything else, so the members are exactly what those functions and `json` would write
(tests/transform/test_payload.py checks this on arbitrary cells).

**Email**: a present but malformed email is refused as `bad_email`. The check is deliberately plain
(one '@', a dotted domain with a 2+ letter or punycode TLD, no spaces, quotes or brackets); Unicode
letters are allowed on both sides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import NamedTuple

from sakari_sync.stages.values import (
    MAX_VALUE_LENGTH,
    BadFieldError,
    Scalar,
    attribute_value,
    clean_text,
)

BAD_EMAIL = "bad_email"

_EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)[^\s@\"(),:;<>\[\\\]]{1,64}(?<!\.)@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
)
_FLOAT_INT_LIMIT = 2**53  # integral floats below this are written as integers (values.attribute_value)
_INFINITIES = (float("inf"), float("-inf"))


class FieldIssue(NamedTuple):
    """A cell left out of its row's payload: the row's position in the column, the reject code, and a
    detail that names the field (never the value)."""

    row: int
    reason: str
    detail: str


def is_email(text: str) -> bool:
    """Whether `text` (already stripped) looks like a deliverable address."""
    return _EMAIL.fullmatch(text) is not None


def text_members(
    cells: Sequence[object], field: str, limit: int, *, email: bool = False
) -> tuple[list[str], list[FieldIssue]]:
    """`"field":"text",` for each cell (stripped; "" when empty or refused), and the refused cells."""
    prefix = f'"{field}":'
    members: list[str] = []
    issues: list[FieldIssue] = []
    for row, cell in enumerate(cells):
        if type(cell) is str and _plain(text := cell.strip(), limit, email=email):
            members.append(prefix + encode_basestring(text) + "," if text else "")
            continue
        try:
            found = clean_text(cell, field, limit)
            if email and found is not None and not is_email(found):
                raise BadFieldError(BAD_EMAIL, f"{field} is not a valid address")
        except BadFieldError as exc:
            issues.append(FieldIssue(row, exc.reason, exc.detail))
            found = None
        members.append("" if found is None else prefix + encode_basestring(found) + ",")
    return members, issues


def attribute_members(cells: Sequence[object], name: str) -> tuple[list[str], list[FieldIssue]]:
    """`"name":value` for each cell of an attribute column ("" when empty or refused), and the
    refused cells: text, numbers and booleans as `values.attribute_value` reads them."""
    prefix = encode_basestring(name) + ":"
    members: list[str] = []
    issues: list[FieldIssue] = []
    for row, cell in enumerate(cells):
        if cell is None:
            members.append("")
        elif type(cell) is float:
            members.append(_float_member(prefix, cell))
        elif type(cell) is int:
            members.append(prefix + int.__repr__(cell))
        elif type(cell) is dt.date:
            members.append(prefix + '"' + cell.isoformat() + '"')
        elif type(cell) is str and _plain(text := cell.strip(), MAX_VALUE_LENGTH):
            members.append(prefix + encode_basestring(text) if text else "")
        else:
            try:
                value = attribute_value(cell, name)
            except BadFieldError as exc:
                issues.append(FieldIssue(row, exc.reason, exc.detail))
                value = None
            members.append("" if value is None else prefix + scalar_json(value))
    return members, issues


def scalar_json(value: Scalar) -> str:
    """What json.dumps writes for a text, boolean, integer or finite float."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    return int.__repr__(value) if isinstance(value, int) else float.__repr__(value)


def _plain(text: str, limit: int, *, email: bool = False) -> bool:
    """Stripped text that clean_text (and the email check) keeps as it is; False sends the cell down
    the general path. isprintable() is False for every control character and surrogate it refuses."""
    return not text or (len(text) <= limit and text.isprintable() and (not email or is_email(text)))


def _float_member(prefix: str, value: float) -> str:
    if value != value or value in _INFINITIES:
        return ""
    if value.is_integer() and abs(value) < _FLOAT_INT_LIMIT:
        return prefix + int.__repr__(int(value))
    return prefix + float.__repr__(value)

"""How one source cell becomes a Sakari value, a source key or a cursor sort key (pure, no pandas I/O).

Decisions, pinned by tests/transform/:
- **Text** (names, email, string attributes, list names) is stripped; empty means absent. Non-ASCII,
  emoji and right-to-left text are kept as they are. Text longer than its limit (names 255, email
  254, attributes and list names 1024 characters) is refused as `field_too_long`, never truncated:
  Sakari documents no length limit for any field (its create-contact page, and the emulator's
  decisions), so there is no limit to cut to, and a silently cut name is worse than a field the
  report names. Control characters (NUL…, lone surrogates) and bytes that are not UTF-8 are refused
  as `bad_text`. A refused value raises `BadFieldError`; the transform leaves that field out of the
  payload and reports it (or rejects the row, with `mapping.strict_fields`).
- **Attributes**: booleans kept; integers kept; floats kept, integral ones (1.0, as a NULL-able
  integer column arrives) as integers; NaN/inf/None/NaT omitted; `Decimal` as its exact decimal text
  ("12.50"), never rounded through a binary float; dates and datetimes as ISO 8601 text (an aware
  datetime keeps its offset); lists and dicts as canonical JSON text; anything else as `str()`.
- **Cursor sort key**: a string that sorts like the value. Numbers (int, float, Decimal, numpy) share
  one sign-aware, zero-padded decimal encoding; datetimes are UTC ISO 8601 with nanoseconds (naive
  ones are taken as UTC); dates are ISO dates (so a date sorts before the datetimes of that day);
  strings are themselves (code-point order, as PostgreSQL's "C" collation and SQLite compare them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

FIELD_TOO_LONG = "field_too_long"
BAD_TEXT = "bad_text"
MAX_NAME_LENGTH = 255
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
MAX_VALUE_LENGTH = 1024

Scalar = str | int | float | bool

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FLOAT_INT_LIMIT = 2**53  # integral floats below this are exact integers
_INT_WIDTH = 20  # digits of zero padding: every int64 and uint64 fits
_INT_LIMIT = 10**_INT_WIDTH
_COMPLEMENT = str.maketrans("0123456789", "9876543210")
_MAX_EXPONENT = 100  # cursor numbers beyond 1e±100 sort as ±infinity / zero


class BadFieldError(Exception):
    """A field value that cannot be sent: `reason` is a reject code, `detail` names the field and says
    why, without the value or any other private data."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT, pd.NA and Decimal NaN: the values a NULL arrives as."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    if isinstance(value, np.generic):
        return is_missing(value.item())
    return False


def to_python(value: object) -> object:
    """Unwrap numpy scalars (as object columns may hold) into Python values."""
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def clean_text(value: object, field: str, limit: int) -> str | None:
    """A text field, stripped; None when empty; rejects over-long text and control characters."""
    if isinstance(value, str):
        text = value.strip()
    elif is_missing(value):
        return None
    else:
        try:
            text = _scalar_text(to_python(value)).strip()
        except UnicodeDecodeError:
            raise BadFieldError(BAD_TEXT, f"{field} holds bytes that are not UTF-8 text") from None
    if not text:
        return None
    if len(text) > limit:
        raise BadFieldError(FIELD_TOO_LONG, f"{field} is {len(text)} characters long (limit {limit})")
    if _CONTROL.search(text):
        raise BadFieldError(BAD_TEXT, f"{field} holds a control character")
    return text


def key_text(value: object) -> str | None:
    """The source key as text (integers without '.0'); None when missing or blank."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str):
        return value if value.strip() else None
    if is_missing(value):
        return None
    if isinstance(value, bytes):
        return value.hex()  # a binary key (a packed UUID, say) as stable text
    return _scalar_text(to_python(value))


def key_texts(values: Iterable[object]) -> list[str | None]:
    """`key_text` of each value of a key column, integers (the usual key) without the call."""
    return [str(v) if type(v) is int else key_text(v) for v in values]


def attribute_value(value: object, name: str) -> Scalar | None:
    """A custom attribute value Sakari accepts (text, number or boolean), or None to omit it."""
    if isinstance(value, str):
        return clean_text(value, f"attribute {name!r}", MAX_VALUE_LENGTH)
    value = to_python(value)
    if is_missing(value):
        return None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return int(value) if value.is_integer() and abs(value) < _FLOAT_INT_LIMIT else value
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return clean_text(value, f"attribute {name!r}", MAX_VALUE_LENGTH)


def _scalar_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < _FLOAT_INT_LIMIT:
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f") if abs(value.adjusted()) <= _MAX_EXPONENT else str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8")  # UnicodeDecodeError: clean_text says which field
    if isinstance(value, list | tuple | dict):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        except (TypeError, ValueError):  # keys of mixed types, or a structure that holds itself
            return str(value)
    return str(value)


def cursor_columns(column: pd.Series) -> tuple[list[str], list[str | None]]:
    """(cursor_sort, cursor text) for each value of a cursor column; datetime columns in one pass."""
    if isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M":
        return _datetime_cursor_columns(column)
    values = column.tolist()
    if all(type(v) is str for v in values):
        return values, list(values)  # text (SQLite's DATETIME, say) sorts and reads as itself
    if all(v is None or (type(v) is dt.datetime and v.tzinfo is None) for v in values):
        return _naive_cursor_columns(values)  # what most drivers give for a DATETIME column
    return [cursor_sort(v) for v in values], [cursor_text(v) for v in values]


def _naive_cursor_columns(values: list[dt.datetime | None]) -> tuple[list[str], list[str | None]]:
    """`cursor_sort` and `cursor_text` of naive datetimes (or None), formatted by numpy in one pass:
    a datetime holds whole microseconds, so its nanosecond sort key is the microsecond text + '000'."""
    texts = np.datetime_as_string(np.array(values, dtype="datetime64[us]"), unit="us").tolist()
    sorts = ["" if v is None else t + "000Z" for v, t in zip(values, texts, strict=True)]
    return sorts, [None if v is None else t for v, t in zip(values, texts, strict=True)]


def cursor_text(value: object) -> str | None:
    """The cursor value as text for the ledger, or None when missing.

    Datetimes are ISO 8601 with microseconds (nanoseconds when present); an aware one is given in
    UTC with '+00:00', a naive one as it is. Floats are `repr`, Decimals exact, strings themselves.
    """
    value = to_python(value)
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        utc, aware = _to_utc(value)
        return _iso(utc, "+00:00" if aware else "", always_nanos=False)
    if isinstance(value, bytes):
        return value.hex()
    return _scalar_text(value)


def cursor_sort(value: object) -> str:
    """A string that sorts (code point order) like the cursor value; "" for a missing value."""
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:  # the common case, without Decimal
        return f"p{value:0{_INT_WIDTH}d}" if value >= 0 else f"n{_INT_LIMIT - 1 + value:0{_INT_WIDTH}d}~"
    value = to_python(value)
    if is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):  # bool is an int: False < True
        return _sort_number(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, dt.datetime):
        return _iso(_to_utc(value)[0], "Z", always_nanos=True)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()  # byte order, as bytea compares
    return _scalar_text(value)


def _sort_number(number: Decimal) -> str:
    """'p' + zero-padded digits for x >= 0, 'n' + nines' complement + '~' for x < 0.

    Integer parts wider than 20 digits get 'q'/'m' and a length prefix, so they still sort above
    (below) every padded one. The '~' closes a negative so that -0.55 < -0.5 (it sorts after digits).
    """
    negative = number < 0
    if number.is_infinite() or number.adjusted() > _MAX_EXPONENT:
        return "m" if negative else "q~"
    if number.adjusted() < -_MAX_EXPONENT:
        return "p" + "0" * _INT_WIDTH
    whole, _, fraction = format(abs(number), "f").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    if len(whole) <= _INT_WIDTH:
        body, prefix = whole.zfill(_INT_WIDTH), "np"[not negative]
    else:
        body, prefix = f"{len(whole):04d}{whole}", "mq"[not negative]
    body += "." + fraction if fraction else ""
    return prefix + body.translate(_COMPLEMENT) + "~" if negative else prefix + body


def _to_utc(value: dt.datetime) -> tuple[dt.datetime, bool]:
    """The value in UTC, and whether it was aware; a naive datetime is taken as UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value, False
    try:
        return value.astimezone(dt.UTC), True
    except OverflowError:  # within a day of year 1 or 9999: keep the wall-clock time
        return value.replace(tzinfo=None), True


def _iso(value: dt.datetime, suffix: str, *, always_nanos: bool) -> str:
    nanos = value.microsecond * 1000 + (value.nanosecond if isinstance(value, pd.Timestamp) else 0)
    fraction = f"{nanos:09d}" if always_nanos or nanos % 1000 else f"{nanos // 1000:06d}"
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{fraction}{suffix}"
    )


def _datetime_cursor_columns(column: pd.Series) -> tuple[list[str], list[str | None]]:
    """`cursor_sort` and `cursor_text` of a datetime64 column, by numpy rather than per Timestamp."""
    aware = isinstance(column.dtype, pd.DatetimeTZDtype)
    values = (column.dt.tz_convert("UTC").dt.tz_localize(None) if aware else column).to_numpy()
    missing = np.isnat(values)
    nanos = np.datetime_as_string(values, unit="ns")
    sorts = np.where(missing, "", np.char.add(nanos, "Z"))
    if np.datetime_data(values.dtype)[0] == "ns":
        sub_micro = values.view("int64") % 1000 != 0
    else:  # coarser units hold no nanoseconds (and may hold years nanoseconds cannot reach)
        sub_micro = np.zeros(len(values), dtype=bool)
    texts = np.where(sub_micro, nanos, np.datetime_as_string(values, unit="us"))
    if aware:
        texts = np.char.add(texts, "+00:00")
    return sorts.tolist(), [None if m else t for m, t in zip(missing, texts.tolist(), strict=True)]

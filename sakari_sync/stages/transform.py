"""The transform stage: source rows in, Sakari create bodies and rejected rows out (pure, no I/O).

`transform_chunk(df, ...)` returns `TransformResult(valid, rejects)`:
- valid: source_key, mobile (E.164), cursor_sort, cursor (text or None), payload (canonical JSON of
  the Sakari create body, None fields omitted), payload_hash (sha256 hex of payload);
- rejects: source_key ("" when missing), reason (a key of REJECT_REASONS), detail (why, with no
  phone number or other cell value in it), mobile_masked (last four digits).
Every column holds Python objects (`None`, never NaN, for a missing cursor).
Duplicates by mobile are settled across pages in the state database (state/staging.py), by one rule.

A row gets one reason, the first that applies: missing_key; then the phone (stages/phones.py); then
firstName, lastName, email, attributes and lists (stages/payload.py, stages/values.py).

**Country**: the row's country column (ISO 3166 alpha-2, any case, 'UK' = GB) when set, else the
default region. It only tells the parser how to read a national number: a number written with a
+country code keeps its own region, and `mobile.country` is always the number's region. A country
cell that is not a code rejects the row (`bad_country`) only when the number needs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import pandas as pd

from sakari_client.redaction import mask_phone
from sakari_sync.config import MappingConfig, PhoneConfig
from sakari_sync.errors import ConfigError
from sakari_sync.outcomes import DUPLICATE_MOBILE, REJECT_COLUMNS
from sakari_sync.stages import phones
from sakari_sync.stages.payload import BAD_EMAIL, PayloadWriter
from sakari_sync.stages.phones import PhoneResult, normalize_phone, phone_text, resolve_region
from sakari_sync.stages.values import (
    BAD_TEXT,
    FIELD_TOO_LONG,
    RowRejectedError,
    cursor_columns,
    is_missing,
    key_text,
)

MISSING_KEY = "missing_key"

REJECT_REASONS: dict[str, str] = {
    MISSING_KEY: "The key column is empty, so the row cannot be tracked.",
    phones.MISSING_PHONE: "The mobile column is empty.",
    phones.UNPARSEABLE_PHONE: "The mobile value is not a phone number (letters, too short or too long).",
    phones.AMBIGUOUS_PHONE: "The mobile value holds more than one phone number.",
    phones.BAD_COUNTRY: "A national number whose country column is not an ISO 3166 alpha-2 code.",
    phones.INVALID_PHONE: "Not a valid number for its country (wrong length or unassigned range).",
    phones.NON_GEOGRAPHIC: "A non-geographic number (+800, +882…), which has no country for Sakari.",
    phones.NOT_MOBILE: "A valid number that cannot take SMS (fixed line, toll-free, premium…).",
    BAD_EMAIL: "The email is present but not a valid address.",
    FIELD_TOO_LONG: "A text field is longer than its limit; it is not truncated.",
    BAD_TEXT: "A text field holds control characters or bytes that are not UTF-8.",
    DUPLICATE_MOBILE: "Another row has the same mobile and wins (greater cursor, then key).",
}

VALID_COLUMNS = ("source_key", "mobile", "cursor_sort", "cursor", "payload", "payload_hash")

_MASK_INPUT = 64  # mask at most this much of a raw phone cell


def check_mapping(mapping: MappingConfig, columns: Iterable[object], where: str) -> None:
    """Before any row is transformed: `ConfigError` naming the setting if the mapping names a column
    the source (`where`, e.g. "source table 'contacts'") does not have."""
    have = [str(c) for c in columns]
    for setting, column in mapping.columns().items():
        if column not in have:
            raise ConfigError(
                f"{setting} names column {column!r}, which {where} does not have; set it to one of: "
                f"{', '.join(have)}"
            )


class TransformResult(NamedTuple):
    valid: pd.DataFrame
    rejects: pd.DataFrame


def transform_chunk(
    df: pd.DataFrame,
    mapping: MappingConfig,
    phone: PhoneConfig,
    *,
    key_column: str,
    cursor_column: str | None,
) -> TransformResult:
    """Map a chunk of source rows to Sakari create payloads; every row is either valid or rejected.

    Raises ConfigError only for configuration the data cannot fix: a mapped column the chunk lacks,
    or an unknown default region. Bad row values never raise.
    """
    mapper = _RowMapper(mapping, phone, key_column=key_column)
    rows = zip(*(_column(df, name).tolist() for name in mapper.columns), strict=True)
    sorts: list[str]
    texts: list[str | None]
    if cursor_column is None:
        sorts, texts = [""] * len(df), [None] * len(df)
    else:
        sorts, texts = cursor_columns(_column(df, cursor_column))
    for position, (row, sort, text) in enumerate(zip(rows, sorts, texts, strict=True)):
        mapper.map_row(position, row, sort, text)
    return TransformResult(_frame(mapper.valid, VALID_COLUMNS), _frame(mapper.rejects, REJECT_COLUMNS))


class _RowMapper:
    """Maps row tuples (key, mobile, country?, then the payload's columns) into output columns."""

    def __init__(self, mapping: MappingConfig, phone: PhoneConfig, *, key_column: str) -> None:
        self.default_region = resolve_region(phone.default_region)
        if self.default_region is None:
            raise ConfigError(f"phone.default_region {phone.default_region!r} is not a known region code")
        self.reject_fixed_line = phone.reject_fixed_line
        self.key_column = key_column
        self.columns: list[str] = [key_column, mapping.mobile]
        self.country_at = None if mapping.country is None else len(self.columns)
        if mapping.country is not None:
            self.columns.append(mapping.country)
        self.payload = PayloadWriter(mapping, self.columns)
        self.valid: list[list[Any]] = [[] for _ in VALID_COLUMNS]
        self.rejects: list[list[Any]] = [[] for _ in REJECT_COLUMNS]

    def map_row(self, position: int, row: Sequence[Any], cursor_sort: str, cursor: str | None) -> None:
        """Append the row to the valid columns or to the reject columns."""
        key = key_text(row[0])
        if key is None:
            detail = f"row {position} of the chunk has no {self.key_column}"
            self._reject("", MISSING_KEY, detail, _mask_raw(row[1]))
            return
        if self.country_at is None:
            result = normalize_phone(row[1], self.default_region, reject_fixed_line=self.reject_fixed_line)
        else:
            result = self.normalize(row[1], row[self.country_at])
        e164 = result.e164
        if e164 is None:
            self._reject(key, result.reason or "", result.detail or "", _mask_raw(row[1]))
            return
        try:
            payload = self.payload.write(row, e164, result.region)
        except RowRejectedError as exc:
            self._reject(key, exc.reason, exc.detail, mask_phone(e164))
            return
        # Columns of strings, not a list of row tuples: strings are not tracked by the garbage
        # collector, so a 100k-row chunk does not set off full collections.
        keys, mobiles, sorts, cursors, payloads, hashes = self.valid
        keys.append(key)
        mobiles.append(e164)
        sorts.append(cursor_sort)
        cursors.append(cursor)
        payloads.append(payload)
        hashes.append(hashlib.sha256(payload.encode()).hexdigest())

    def _reject(self, key: str, reason: str, detail: str, masked: str) -> None:
        for column, value in zip(self.rejects, (key, reason, detail, masked), strict=True):
            column.append(value)

    def normalize(self, raw: Any, country: Any) -> PhoneResult:
        """normalize_phone with the row's country, or the default region when it has none."""
        region = self.default_region
        if not (is_missing(country) or (isinstance(country, str) and not country.strip())):
            region = resolve_region(country)
            if region is None:
                return self._bad_country(raw, country)
        return normalize_phone(raw, region, reject_fixed_line=self.reject_fixed_line)

    def _bad_country(self, raw: Any, country: Any) -> PhoneResult:
        result = normalize_phone(raw, None, reject_fixed_line=self.reject_fixed_line)
        if result.reason != phones.BAD_COUNTRY:
            return result  # a +country number does not need the country column
        shown = str(country)[:20]
        detail = f"country {shown!r} is not an ISO 3166 alpha-2 code and the number has no +country code"
        return result._replace(detail=detail)


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        raise ConfigError(f"the mapping names column {name!r}, which the source rows do not have")
    column = df[name]
    if isinstance(column, pd.DataFrame):
        raise ConfigError(f"the source rows have more than one column named {name!r}")
    return column


def _mask_raw(raw: Any) -> str:
    text = phone_text(raw)
    return mask_phone(text[:_MASK_INPUT]) if text else ""


def _frame(data: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame of object columns (None stays None) from one sequence of values per column."""
    return pd.DataFrame({c: pd.Series(list(v), dtype=object) for c, v in zip(columns, data, strict=True)})

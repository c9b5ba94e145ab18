"""The transform stage: source rows in, Sakari create bodies, rejected rows and left-out fields out
(pure, no I/O).

`transform_chunk(df, ...)` returns `TransformResult(valid, rejects, field_issues)`:
- valid: source_key, mobile (E.164), cursor_sort, cursor (text or None), payload (canonical JSON of
  the Sakari create body, None fields omitted), payload_hash (sha256 hex of payload);
- rejects: the rows that cannot become a contact, with REJECT_COLUMNS: source_key ("" when
  missing), reason (a key of REJECT_REASONS), detail (why, with no phone number or other cell value
  in it), mobile_masked (last four digits);
- field_issues: the same columns, one row per optional field left out of a valid row's payload
  (reason `bad_email`, `field_too_long` or `bad_text`; the detail names the field).
Every column holds Python objects (`None`, never NaN, for a missing cursor). Every source row is in
exactly one of valid and rejects. Duplicates by mobile are settled across pages in the state database
(state/staging.py), by one rule.

**Row rejects** are only for what makes a contact impossible: a missing key (`missing_key`), then
no usable mobile (the phone reasons, stages/phones.py). **Field issues**: a contact is reachable by
its mobile, so an invalid optional field (firstName, lastName, email, an attribute, the list cell) is
left out and the contact still goes out; with `mapping.strict_fields` the row is rejected instead,
with its first invalid field's reason, as the first release did (stages/payload.py).
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
from sakari_sync.stages.fields import BAD_EMAIL, FieldIssue
from sakari_sync.stages.payload import PayloadBuilder
from sakari_sync.stages.phones import PhoneResult, normalize_column, phone_text, resolve_region
from sakari_sync.stages.values import BAD_TEXT, FIELD_TOO_LONG, cursor_columns, key_texts

MISSING_KEY = "missing_key"
_FIELD_NOTE = "the field is left out and the contact sent, or the row rejected with mapping.strict_fields"

REJECT_REASONS: dict[str, str] = {
    MISSING_KEY: "The key column is empty, so the row cannot be tracked.",
    phones.MISSING_PHONE: "The mobile column is empty.",
    phones.UNPARSEABLE_PHONE: "The mobile value is not a phone number (letters, too short or too long).",
    phones.AMBIGUOUS_PHONE: "The mobile value holds more than one phone number.",
    phones.BAD_COUNTRY: "A national number whose country column is not an ISO 3166 alpha-2 code.",
    phones.INVALID_PHONE: "Not a valid number for its country (wrong length or unassigned range).",
    phones.NON_GEOGRAPHIC: "A non-geographic number (+800, +882…), which has no country for Sakari.",
    phones.NOT_MOBILE: "A valid number that cannot take SMS (fixed line, toll-free, premium…).",
    BAD_EMAIL: f"The email is present but not a valid address; {_FIELD_NOTE}.",
    FIELD_TOO_LONG: f"A text field is longer than its limit and is not truncated; {_FIELD_NOTE}.",
    BAD_TEXT: f"A text field holds control characters or bytes that are not UTF-8; {_FIELD_NOTE}.",
    DUPLICATE_MOBILE: "Another row has the same mobile and wins (greater cursor, then key).",
}
"""Every reason a row or a field is reported with, and what it means."""
FIELD_REASONS = frozenset({BAD_EMAIL, FIELD_TOO_LONG, BAD_TEXT})
"""Reasons that concern one optional field: reported in `field_issues` while the contact is sent (in
`rejects`, for the whole row, only with `mapping.strict_fields`)."""
ROW_REASONS = frozenset(REJECT_REASONS) - FIELD_REASONS
"""Reasons that reject a whole row: no key, no usable mobile, or a duplicate that lost (in staging)."""

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
    """A transformed chunk: rows to send, rows rejected, and fields left out of rows sent."""

    valid: pd.DataFrame
    rejects: pd.DataFrame
    field_issues: pd.DataFrame


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
    default_region = resolve_region(phone.default_region)
    if default_region is None:
        raise ConfigError(f"phone.default_region {phone.default_region!r} is not a known region code")
    builder = PayloadBuilder(mapping)
    countries = [mapping.country] if mapping.country else []
    cells = {
        n: _column(df, n).tolist()
        for n in dict.fromkeys([key_column, mapping.mobile, *countries, *builder.columns()])
    }
    keys = key_texts(cells[key_column])
    found = normalize_column(
        cells[mapping.mobile],
        cells[mapping.country] if mapping.country else None,
        default_region,
        reject_fixed_line=phone.reject_fixed_line,
    )
    rows = _Rows(keys, cells[mapping.mobile], key_column)
    for row, result in enumerate(found):
        rows.take(row, result)
    payloads, issues = builder.build(
        {name: [cells[name][row] for row in rows.kept] for name in builder.columns()},
        rows.mobiles,
        [found[row].region for row in rows.kept],
    )
    if mapping.strict_fields:
        rows.reject_fields(issues)
        issues = []
    valid = rows.valid_frame(payloads, _cursors(df, cursor_column))
    return TransformResult(valid, rows.rejects_frame(), rows.issues_frame(issues))


class _Rows:
    """Sorts a chunk's rows into kept (a usable key and mobile) and rejected, then builds the frames."""

    def __init__(self, keys: list[str | None], raws: list[Any], key_column: str) -> None:
        self.keys, self.raws, self.key_column = keys, raws, key_column
        self.kept: list[int] = []  # chunk positions of the rows whose payload is built
        self.mobiles: list[str] = []  # their E.164 mobiles
        self.dropped: set[int] = set()  # positions among `kept` of rows rejected for a field
        self.rejects: list[tuple[int, str, str, str, str]] = []  # row, then REJECT_COLUMNS

    def take(self, row: int, result: PhoneResult) -> None:
        """Keep the row, or reject it for its missing key or its phone's reason."""
        key = self.keys[row]
        if key is None:
            detail = f"row {row} of the chunk has no {self.key_column}"
            self.rejects.append((row, "", MISSING_KEY, detail, _mask_raw(self.raws[row])))
        elif result.e164 is None:
            self.rejects.append(
                (row, key, result.reason or "", result.detail or "", _mask_raw(self.raws[row]))
            )
        else:
            self.kept.append(row)
            self.mobiles.append(result.e164)

    def reject_fields(self, issues: list[FieldIssue]) -> None:
        """Strict fields: reject each kept row with an issue, for its first field's reason."""
        for issue in issues:  # in row order, the first field first
            if issue.row not in self.dropped:
                self.dropped.add(issue.row)
                row = self.kept[issue.row]
                masked = mask_phone(self.mobiles[issue.row])
                self.rejects.append((row, self.keys[row] or "", issue.reason, issue.detail, masked))

    def valid_frame(self, payloads: list[str], cursors: tuple[list[str], list[str | None]]) -> pd.DataFrame:
        """The kept rows that stay, with their payloads, hashes and cursors (given for every row)."""
        stay = [i for i in range(len(self.kept)) if i not in self.dropped]
        rows = [self.kept[i] for i in stay]
        chosen = [payloads[i] for i in stay]
        sorts, texts = cursors
        columns = (
            [self.keys[row] for row in rows],
            [self.mobiles[i] for i in stay],
            [sorts[row] for row in rows],
            [texts[row] for row in rows],
            chosen,
            [hashlib.sha256(p.encode()).hexdigest() for p in chosen],
        )
        return _frame(VALID_COLUMNS, columns)

    def rejects_frame(self) -> pd.DataFrame:
        """The rejected rows, in chunk order."""
        self.rejects.sort(key=lambda reject: reject[0])
        return _frame(REJECT_COLUMNS, [[reject[i] for reject in self.rejects] for i in range(1, 5)])

    def issues_frame(self, issues: list[FieldIssue]) -> pd.DataFrame:
        """One row per field left out of a kept row's payload."""
        keys = [self.keys[self.kept[i.row]] for i in issues]
        details = [f"{i.detail}; left out of the payload" for i in issues]
        masked = [mask_phone(self.mobiles[i.row]) for i in issues]
        return _frame(REJECT_COLUMNS, (keys, [i.reason for i in issues], details, masked))


def _cursors(df: pd.DataFrame, cursor_column: str | None) -> tuple[list[str], list[str | None]]:
    """(cursor_sort, cursor) of every row: ("", None) without a cursor column."""
    if cursor_column is None:
        return [""] * len(df), [None] * len(df)
    return cursor_columns(_column(df, cursor_column))


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


def _frame(columns: Sequence[str], data: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A frame of object columns (None stays None) from one sequence of values per column."""
    return pd.DataFrame({c: pd.Series(list(v), dtype=object) for c, v in zip(columns, data, strict=True)})

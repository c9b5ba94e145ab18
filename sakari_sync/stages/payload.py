"""A page's Sakari create bodies, written straight to their canonical JSON, a column at a time.

The payload is `canonical_json(body)`: keys sorted, no spaces, non-ASCII kept, None fields (and
empty attributes or lists) omitted, floats as Python's `repr`. Its sha256 is compared with the
ledger's, so these bytes must not change between releases: a new spelling would send every contact
again once. `PayloadBuilder.build` writes that same text without building the dicts: each field's
members are written a column at a time (stages/fields.py), then joined per row in sorted key order.
tests/transform/test_payload.py checks the result against `canonical_json` of the body on arbitrary
cells.

- **Fields** are checked in this order: firstName, lastName, email, attributes (by name), lists. A
  refused cell (too long, control characters, a malformed email) is left out of the payload and
  returned as a `FieldIssue`; the transform rejects the whole row instead when
  `mapping.strict_fields` is on. Nothing is truncated: Sakari documents no length limit for any
  field (its create-contact page; the emulator's README, decisions), so there is no limit to cut to,
  and a cut name is worse than a field left out and reported.
- **Lists**: the list column's value (split on `separator` if set), trimmed, plus the constants,
  each mapped through `ids` (unmapped names used as ids), de-duplicated and sorted by id. A refused
  list cell leaves the constant lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from sakari_sync.config import MappingConfig
from sakari_sync.stages.fields import FieldIssue, attribute_members, text_members
from sakari_sync.stages.values import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
    BadFieldError,
    clean_text,
)

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_TEXT_FIELDS = (  # in the order they are checked
    ("firstName", "first_name", MAX_NAME_LENGTH),
    ("lastName", "last_name", MAX_NAME_LENGTH),
    ("email", "email", MAX_EMAIL_LENGTH),
)
_KEY_ORDER = ("email", "firstName", "lastName")  # where the text fields sit among the sorted keys
_SLICE = 2048  # rows whose members are held at once: bounds the memory a large page needs


def canonical_json(body: dict[str, Any]) -> str:
    """The one JSON spelling of a payload: sorted keys, no spaces, UTF-8 text kept as is."""
    return _CANONICAL.encode(body)


class PayloadBuilder:
    """Writes the canonical create bodies of many rows from their mapped columns."""

    def __init__(self, mapping: MappingConfig) -> None:
        self.texts = [
            (field, column, limit)
            for field, setting, limit in _TEXT_FIELDS
            if (column := getattr(mapping, setting)) is not None
        ]
        self.attributes = sorted(mapping.attributes.items())
        lists = mapping.lists
        self.list_column = lists.column
        self.separator = lists.separator
        self.list_ids = lists.ids
        self.constant_ids = frozenset(lists.ids.get(name, name) for name in lists.constant)
        self.constant_lists = _lists_member(self.constant_ids)

    def columns(self) -> list[str]:
        """The source columns the payload reads (besides the mobile)."""
        lists = [] if self.list_column is None else [self.list_column]
        return [column for _, column, _ in self.texts] + [column for _, column in self.attributes] + lists

    def build(
        self, cells: Mapping[str, Sequence[object]], mobiles: Sequence[str], regions: Sequence[str | None]
    ) -> tuple[list[str], list[FieldIssue]]:
        """Each row's payload (its E.164 mobile and region given), and the cells left out of them, in
        row order (by field order within a row). `cells` maps each column of `columns()` to its values."""
        payloads: list[str] = []
        issues: list[FieldIssue] = []
        for start in range(0, len(mobiles), _SLICE):  # the members of a slice at a time, not a page's
            stop = start + _SLICE
            part = {column: values[start:stop] for column, values in cells.items()}
            written, found = self._build(part, mobiles[start:stop], regions[start:stop])
            payloads += written
            issues += [issue._replace(row=issue.row + start) for issue in found]
        return payloads, issues

    def _build(
        self, cells: Mapping[str, Sequence[object]], mobiles: Sequence[str], regions: Sequence[str | None]
    ) -> tuple[list[str], list[FieldIssue]]:
        issues: list[FieldIssue] = []
        texts: dict[str, list[str]] = {}
        for field, column, limit in self.texts:
            texts[field], found = text_members(cells[column], field, limit, email=field == "email")
            issues += found
        members = [self._attributes(cells, issues)] if self.attributes else []
        members += [texts[field] for field in _KEY_ORDER if field in texts]
        if self.list_column is not None:
            members.append(self._lists(cells[self.list_column], issues))
        elif self.constant_lists:
            members.append([self.constant_lists] * len(mobiles))
        members.append(_mobile_members(mobiles, regions))
        issues.sort(key=lambda issue: issue.row)  # stable: field order within a row stays
        return ["{" + "".join(parts) + "}" for parts in zip(*members, strict=True)], issues

    def _attributes(self, cells: Mapping[str, Sequence[object]], issues: list[FieldIssue]) -> list[str]:
        """The `"attributes":{...},` member of each row ("" when it has none)."""
        columns = []
        for name, column in self.attributes:
            members, found = attribute_members(cells[column], name)
            columns.append(members)
            issues += found
        if len(columns) == 1:
            return ['"attributes":{' + m + "}," if m else "" for m in columns[0]]
        inner = (",".join([m for m in row if m]) for row in zip(*columns, strict=True))
        return ['"attributes":{' + m + "}," if m else "" for m in inner]

    def _lists(self, values: Sequence[object], issues: list[FieldIssue]) -> list[str]:
        """The `"lists":[...],` member of each row: its list cell plus the constants."""
        seen: dict[str, str] = {}
        members = []
        for row, value in enumerate(values):
            if type(value) is str and value in seen:
                members.append(seen[value])
                continue
            try:
                member = self.lists_member(value)
            except BadFieldError as exc:
                issues.append(FieldIssue(row, exc.reason, exc.detail))
                member = self.constant_lists
            else:
                if type(value) is str:
                    seen[value] = member
            members.append(member)
        return members

    def lists_member(self, value: object) -> str:
        """The lists member for a list cell plus the constants; raises BadFieldError."""
        text = clean_text(value, "lists", MAX_VALUE_LENGTH)
        if text is None:
            return self.constant_lists
        names = text.split(self.separator) if self.separator else [text]
        ids = self.constant_ids.union(self.list_ids.get(n, n) for n in (p.strip() for p in names) if n)
        return _lists_member(ids)


def _lists_member(ids: frozenset[str]) -> str:
    if not ids:
        return ""
    return '"lists":[' + ",".join('{"id":' + encode_basestring(i) + "}" for i in sorted(ids)) + "],"


def _mobile_members(mobiles: Sequence[str], regions: Sequence[str | None]) -> list[str]:
    """The `"mobile":{...}` member, the last of every body."""
    countries: dict[str | None, str] = {None: '"mobile":{"number":'}
    members = []
    for mobile, region in zip(mobiles, regions, strict=True):
        start = countries.get(region)
        if start is None:
            start = countries[region] = f'"mobile":{{"country":{encode_basestring(str(region))},"number":'
        members.append(start + encode_basestring(mobile) + "}")
    return members

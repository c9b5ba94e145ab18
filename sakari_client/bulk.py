"""The CSV body of a bulk upload: Sakari's import columns, then one column per attribute.

Not every contact can travel in a CSV: the import has no column for list membership, an attribute
named like an import column (`email`, `Country`, ...) would be read as that column, and a cell holds
one value, not a list or an object. `csv_compatible` says so beforehand, so a caller can send those
contacts one by one; `build_csv` raises `CsvIncompatibleError` for any that reach it anyway.

A contact may be given as a `ContactIn`, an `EncodedContact` (its JSON body, read with `json.loads`
only, no model validation) or a mapping in the same shape (a body already parsed): a pipeline that
stores canonical JSON bodies need not turn them back into models to upload them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sakari_client.models import ContactIn, EncodedContact

CORE_COLUMNS = ("country", "firstName", "lastName", "email", "mobile")
# Names an import reads as its own columns, compared case-insensitively (`lists`: list ids, in the
# emulator's import).
RESERVED_NAMES = frozenset(name.lower() for name in (*CORE_COLUMNS, "lists"))

CsvContact = ContactIn | EncodedContact | Mapping[str, Any]
"""What `build_csv`, `csv_compatible` and `SakariClient.upload_csv` accept for one contact."""

_Scalar = str | int | float | bool | None
_SCALARS = (str, int, float, bool, type(None))  # `_Scalar` as a tuple: `isinstance` checks it faster


class CsvIncompatibleError(ValueError):
    """Some contacts cannot be sent in a CSV upload as they are; send them one by one instead.

    `problems` maps each such contact's position in the batch (from 0) to the reason, which names
    fields and attributes but never a value.
    """

    def __init__(self, problems: Mapping[int, str]) -> None:
        self.problems = dict(problems)
        first = ", ".join(f"#{i}: {why}" for i, why in list(self.problems.items())[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{len(self.problems)} contacts cannot travel in a CSV upload: {first}{more}")


def csv_compatible(contact: CsvContact) -> bool:
    """Whether `contact` can be sent in a CSV upload as it is (see the module docstring)."""
    return _read(contact)[1] is None


def csv_problem(contact: CsvContact) -> str | None:
    """Why `contact` cannot be sent in a CSV upload (field and attribute names, no values), or None."""
    return _read(contact)[1]


def build_csv(contacts: Sequence[CsvContact]) -> str:
    """Render contacts as the CSV `POST /contacts` accepts with `Content-Type: text/csv`.

    The header is `country,firstName,lastName,email,mobile` followed by every attribute name used
    by any contact, sorted; a contact without an attribute leaves its cell empty. Raises
    `CsvIncompatibleError` (a `ValueError`) naming the contacts a CSV cannot carry, rather than
    silently stripping their lists or mixing up their columns; `ValueError` for an empty batch.
    """
    if not contacts:
        raise ValueError("a bulk upload needs at least one contact")
    bodies: list[Mapping[str, Any]] = []
    problems: dict[int, str] = {}
    for index, contact in enumerate(contacts):
        body, problem = _read(contact)
        if problem is not None:
            problems[index] = problem
        elif body is not None:
            bodies.append(body)
    if problems:
        raise CsvIncompatibleError(problems)
    attributes = sorted({str(key) for b in bodies for key in (b.get("attributes") or {})})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CORE_COLUMNS, *attributes])
    for body in bodies:
        mobile, extra = body["mobile"], body.get("attributes") or {}
        if not all(type(k) is str for k in extra):
            extra = {str(k): v for k, v in extra.items()}
        row = [
            mobile.get("country"),
            body.get("firstName"),
            body.get("lastName"),
            body.get("email"),
            mobile["number"],
        ]
        row += [extra.get(a) for a in attributes]
        writer.writerow([v if type(v) is str else _cell(v) for v in row])  # most cells are text already
    return out.getvalue()


def _read(contact: CsvContact) -> tuple[Mapping[str, Any] | None, str | None]:
    """The contact's body as a mapping, and why a CSV cannot carry it (None: it can)."""
    if isinstance(contact, ContactIn):
        body: Any = contact.to_body()
    elif isinstance(contact, EncodedContact):
        try:
            body = json.loads(contact.body)
        except ValueError:
            return None, "its body is not JSON"
    else:
        body = contact
    if not isinstance(body, Mapping):
        return None, "its body is not a JSON object"
    return body, _problem(body)


def _problem(body: Mapping[str, Any]) -> str | None:
    mobile = body.get("mobile")
    if not isinstance(mobile, Mapping) or not isinstance(mobile.get("number"), str):
        return "it has no mobile number"
    if body.get("lists"):
        return "it has lists (a CSV cannot assign lists)"
    for name in ("firstName", "lastName", "email"):
        if not isinstance(body.get(name), _SCALARS):
            return f"{name} is not a single value"
    if not isinstance(mobile.get("country"), _SCALARS):
        return "mobile.country is not a single value"
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        return "its attributes are not an object"
    for name, value in attributes.items():
        label = str(name).strip()
        if not label:
            return "an attribute has no name"
        if label.lower() in RESERVED_NAMES:
            return f"attribute {name!r} is named like a CSV column"
        if not isinstance(value, _SCALARS):
            return f"attribute {name!r} is not a single value"
    return None


def _cell(value: _Scalar) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

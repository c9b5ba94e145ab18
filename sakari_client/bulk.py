"""The CSV body of a bulk upload: Sakari's import columns, then one column per attribute."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sakari_client.models import AttributeValue, ContactIn

CORE_COLUMNS = ("country", "firstName", "lastName", "email", "mobile")


def build_csv(contacts: Sequence[ContactIn]) -> str:
    """Render contacts as the CSV `POST /contacts` accepts with `Content-Type: text/csv`.

    The header is `country,firstName,lastName,email,mobile` followed by every attribute name used
    by any contact, sorted; a contact without an attribute leaves its cell empty. List membership
    has no CSV column, so contacts with lists are refused rather than silently stripped of them.
    """
    if not contacts:
        raise ValueError("a bulk upload needs at least one contact")
    if any(c.lists for c in contacts):
        raise ValueError("a CSV upload cannot assign lists; send contacts with lists one by one")
    attributes = sorted({key for c in contacts for key in (c.attributes or {})})
    clash = set(attributes) & set(CORE_COLUMNS)
    if clash:
        raise ValueError(f"attribute names clash with CSV columns: {sorted(clash)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CORE_COLUMNS, *attributes])
    for c in contacts:
        core = [c.mobile.country, c.firstName, c.lastName, c.email, c.mobile.number]
        extra = [(c.attributes or {}).get(name) for name in attributes]
        writer.writerow([_cell(v) for v in (*core, *extra)])
    return out.getvalue()


def _cell(value: AttributeValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

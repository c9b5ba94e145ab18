"""transform_chunk: the frames it returns, and what it never does (duplicates are settled in staging)."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sakari_client.redaction import mask_phone
from sakari_sync.config import ListMapping, MappingConfig, PhoneConfig
from sakari_sync.errors import ConfigError
from sakari_sync.outcomes import REJECT_COLUMNS
from sakari_sync.stages.payload import canonical_json
from sakari_sync.stages.transform import (
    FIELD_REASONS,
    REJECT_REASONS,
    ROW_REASONS,
    VALID_COLUMNS,
    TransformResult,
    transform_chunk,
)
from tests.transform.strategies import any_cell

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE = PhoneConfig(default_region="US")
FULL = MappingConfig(
    mobile="phone",
    country="country",
    first_name="first",
    last_name="last",
    email="email",
    attributes={"plan": "plan"},
    lists=ListMapping(column="tags", separator=",", constant=["all"], values_are_ids=True),
)
CELLS = ("id", "phone", "country", "first", "last", "email", "plan", "tags", "updated")


def _transform(
    frame: pd.DataFrame, mapping: MappingConfig = FULL, cursor: str | None = "updated"
) -> TransformResult:
    return transform_chunk(frame, mapping, PHONE, key_column="id", cursor_column=cursor)


def test_frames_have_the_contract_columns():
    """valid, rejects and field_issues carry exactly the contract's columns, as Python objects."""
    frame = pd.DataFrame(
        {"id": [1, 2, 3], "phone": ["4155550100", "nope", "4155550101"], "updated": [5, None, None]}
    )
    result = _transform(frame, MappingConfig(mobile="phone"))
    assert tuple(result.valid.columns) == VALID_COLUMNS
    assert tuple(result.rejects.columns) == REJECT_COLUMNS
    assert tuple(result.field_issues.columns) == REJECT_COLUMNS
    assert result.valid.to_dict("records")[1]["cursor"] is None
    assert result.valid["cursor"].dtype == object
    assert result.valid["source_key"].tolist() == ["1", "3"]


def test_payload_hash_is_sha256_of_the_payload():
    """payload_hash is the hex SHA-256 of the payload text, which is canonical JSON."""
    frame = pd.DataFrame({"id": ["a"], "phone": ["+44 7400 123456"], "first": ["Zoë"]})
    row = _transform(frame, MappingConfig(mobile="phone", first_name="first"), None).valid.iloc[0]
    assert row["payload_hash"] == hashlib.sha256(row["payload"].encode("utf-8")).hexdigest()
    assert row["payload"] == canonical_json(json.loads(row["payload"]))
    assert (row["cursor_sort"], row["cursor"]) == ("", None)


def test_empty_chunk_gives_empty_frames():
    """No rows in, two empty frames with their columns out."""
    result = _transform(pd.DataFrame({column: [] for column in CELLS}))
    assert (len(result.valid), len(result.rejects), len(result.field_issues)) == (0, 0, 0)
    assert tuple(result.valid.columns) == VALID_COLUMNS
    assert tuple(result.field_issues.columns) == REJECT_COLUMNS


def test_a_missing_mapped_column_is_a_configuration_error():
    """A mapped column the chunk lacks raises ConfigError naming it, before any row is read."""
    with pytest.raises(ConfigError, match="'email'"):
        _transform(
            pd.DataFrame({"id": [1], "phone": ["4155550100"], "updated": [1]}), MappingConfig(email="email")
        )


def test_an_unknown_default_region_is_a_configuration_error():
    """phone.default_region must be a region libphonenumber knows (the transform checks it too, for
    settings built without validation)."""
    frame = pd.DataFrame({"id": [1], "phone": ["4155550100"]})
    phone = PhoneConfig.model_construct(default_region="XX", reject_fixed_line=True)
    with pytest.raises(ConfigError, match="XX"):
        transform_chunk(frame, MappingConfig(), phone, key_column="id", cursor_column=None)


def test_reject_details_never_show_the_phone_number():
    """detail says why without the number; mobile_masked shows only its last four digits."""
    frame = pd.DataFrame(
        {"id": [1, 2, None], "phone": ["+44 20 7946 0958", "415 555 0123 / 415 555 0199", "4155550100"]}
    )
    rejects = _transform(frame, MappingConfig(mobile="phone"), None).rejects
    assert not rejects["detail"].str.contains(r"\d{4}").any()
    assert rejects["mobile_masked"].tolist()[0].endswith("0958")


def test_reject_reasons_are_one_line_each():
    """Every code has a one-line human explanation for reports, and is a row or a field reason."""
    assert all(text and "\n" not in text and text.endswith(".") for text in REJECT_REASONS.values())
    assert set(REJECT_REASONS) == ROW_REASONS | FIELD_REASONS
    assert not ROW_REASONS & FIELD_REASONS


def test_a_bad_field_is_left_out_and_reported_without_its_value():
    """The contact goes out without the field; field_issues names the field, never the value or phone."""
    frame = pd.DataFrame(
        {"id": ["k"], "phone": ["+1 415 555 0123"], "first": ["Ann"], "email": ["ann@@example.com"]}
    )
    result = _transform(frame, MappingConfig(mobile="phone", first_name="first", email="email"), None)
    assert json.loads(result.valid["payload"].iloc[0]) == {
        "firstName": "Ann",
        "mobile": {"country": "US", "number": "+14155550123"},
    }
    assert result.field_issues.values.tolist() == [
        [
            "k",
            "bad_email",
            "email is not a valid address; left out of the payload",
            mask_phone("+14155550123"),
        ]
    ]
    assert len(result.rejects) == 0


_FIELD_DETAIL = re.compile(
    r"^(firstName|lastName|email|lists|attribute '\w+') "
    r"(is \d+ characters long \(limit \d+\)|holds a control character|is not a valid address"
    r"|holds bytes that are not UTF-8 text); left out of the payload$"
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(*[any_cell for _ in CELLS[1:]]), max_size=8))
def test_every_row_is_valid_or_rejected_once_and_a_field_issue_rejects_only_when_strict(rows):
    """Each row is in valid or rejects exactly once; field issues concern sent rows only and never
    reject them; with strict_fields exactly the rows with issues are rejected (for their first one),
    and every other row keeps its payload byte for byte."""
    frame = pd.DataFrame(
        [(f"k{i}", *cells) for i, cells in enumerate(rows)], columns=list(CELLS), dtype=object
    )
    lenient = _transform(frame)
    strict = _transform(frame, FULL.model_copy(update={"strict_fields": True}))
    for result in (lenient, strict):
        keys = [*result.valid["source_key"], *result.rejects["source_key"]]
        assert sorted(keys) == sorted(frame["id"])
    assert set(lenient.rejects["reason"]) <= ROW_REASONS
    assert set(lenient.field_issues["source_key"]) <= set(lenient.valid["source_key"])
    assert set(lenient.field_issues["reason"]) <= FIELD_REASONS
    assert all(_FIELD_DETAIL.match(detail) for detail in lenient.field_issues["detail"])
    first_issue = dict(
        reversed(list(zip(lenient.field_issues["source_key"], lenient.field_issues["reason"], strict=True)))
    )
    assert len(strict.field_issues) == 0
    assert dict(
        zip(strict.rejects["source_key"], strict.rejects["reason"], strict=True)
    ) == first_issue | dict(zip(lenient.rejects["source_key"], lenient.rejects["reason"], strict=True))
    kept = lenient.valid[~lenient.valid["source_key"].isin(first_issue)].reset_index(drop=True)
    assert kept.equals(strict.valid)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(*[any_cell for _ in CELLS]), max_size=8))
def test_transform_never_raises_and_accounts_for_every_row(rows):
    """Arbitrary text, numbers, NULLs, bytes, dates in every mapped column: each row valid or rejected."""
    frame = pd.DataFrame(rows, columns=list(CELLS), dtype=object)
    result = _transform(frame)
    assert len(result.valid) + len(result.rejects) == len(frame)
    assert all(E164.match(mobile) for mobile in result.valid["mobile"])
    assert set(result.rejects["reason"]) <= set(REJECT_REASONS)
    for payload, payload_hash in zip(result.valid["payload"], result.valid["payload_hash"], strict=True):
        assert canonical_json(json.loads(payload)) == payload
        assert hashlib.sha256(payload.encode()).hexdigest() == payload_hash


def test_pandas_extension_dtypes_read_like_python_values():
    """Int64, string, boolean and category columns (with pd.NA) give the same rows as plain ones."""
    frame = pd.DataFrame(
        {
            "id": pd.array([1, None, 3], dtype="Int64"),
            "phone": pd.array(["4155550100", "4155550101", pd.NA], dtype="string"),
            "plan": pd.Categorical(["pro", None, "free"]),
            "vip": pd.array([True, None, False], dtype="boolean"),
            "updated": pd.array([5, 6, None], dtype="Int64"),
        }
    )
    mapping = MappingConfig(mobile="phone", attributes={"plan": "plan", "vip": "vip"})
    result = _transform(frame, mapping)
    assert result.valid[["source_key", "cursor_sort", "cursor"]].values.tolist() == [
        ["1", "p00000000000000000005", "5"]
    ]
    assert json.loads(result.valid["payload"].iloc[0])["attributes"] == {"plan": "pro", "vip": True}
    assert result.rejects[["source_key", "reason"]].values.tolist() == [
        ["", "missing_key"],
        ["3", "missing_phone"],
    ]

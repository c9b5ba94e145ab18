"""Hypothesis strategies shared by the transform tests: phone-like text, real numbers, any cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
_TYPES = [value for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper()]
EXAMPLE_NUMBERS = [
    number
    for region in REGIONS
    for number_type in _TYPES
    if (number := phonenumbers.example_number_for_type(region, number_type)) is not None
]
_FORMATS = [
    PhoneNumberFormat.E164,
    PhoneNumberFormat.INTERNATIONAL,
    PhoneNumberFormat.NATIONAL,
    PhoneNumberFormat.RFC3966,
]

regions = st.sampled_from(REGIONS)


@st.composite
def formatted_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(text, region): a real example number in some format, with the region it is written for."""
    number = draw(st.sampled_from(EXAMPLE_NUMBERS))
    region = phonenumbers.region_code_for_number(number) or "US"
    return phonenumbers.format_number(number, draw(st.sampled_from(_FORMATS))), region


digit_strings = st.builds(
    lambda plus, prefix, digits: plus + prefix + digits,
    st.sampled_from(["", "+"]),
    st.sampled_from(["", "0", "00", "1", "011", "8", "9"]),
    st.text("0123456789", min_size=1, max_size=16),
)
phone_like_text = st.one_of(
    digit_strings,
    st.text("0123456789 +-().,;/x#\n", max_size=30),
    formatted_numbers().map(lambda pair: pair[0]),
    st.text(max_size=40),
)
any_cell = st.one_of(
    st.none(),
    st.text(max_size=60),
    phone_like_text,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.decimals(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.sampled_from([Decimal("NaN"), pd.NA, pd.NaT, np.datetime64("NaT"), np.float32("nan")]),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.floats(width=32).map(np.float32),
    st.datetimes().map(pd.Timestamp),
)

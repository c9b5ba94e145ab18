"""What the pipeline is measured against: the least code that does the same work.

- `post_bare`: a bare `httpx.AsyncClient` on the fastest transport measured (`httpx-aiohttp`'s
  `AiohttpTransport`, see `sakari_client.transport`) posting ready payloads with N workers: the raw
  cost of the HTTP work, with no pacing, retries, parsing or bookkeeping.
- `run_naive_script`: the script people write first: `pandas.read_sql` of the table, then a loop
  of `httpx.post` (a new connection each time) with simple retries.
- `parse_phones_bare`: `phonenumbers` parse, is_valid_number and E.164 format over the same values.
- `read_bare`: `pandas.read_sql` of the whole table in chunks through SQLAlchemy: the cost of only
  reading the rows an unchanged rerun reads.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
import pandas as pd
import phonenumbers
import sqlalchemy as sa
from httpx_aiohttp import AiohttpTransport

ACCOUNT = "demo-account"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
CONTACTS = f"/v1/accounts/{ACCOUNT}/contacts"


async def post_bare(base_url: str, payloads: Sequence[str], concurrency: int) -> tuple[float, Counter[int]]:
    """POST every payload with `concurrency` workers on one client over aiohttp; (seconds, answers
    by status)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: Counter[int] = Counter()
    transport = AiohttpTransport(limits=limits)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30) as client:
        token = (await client.post("/oauth2/token", json=CREDENTIALS)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        todo = iter(payloads)

        async def worker() -> None:
            for payload in todo:
                response = await client.post(
                    CONTACTS, params={"mergeStrategy": "append"}, content=payload.encode(), headers=headers
                )
                statuses[response.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def run_naive_script(base_url: str, source_url: str, rows: int) -> tuple[float, int]:
    """The first script: read_sql, then one `httpx.post` per row with retries; (seconds, posted).

    It sends what the pipeline would (mobile in E.164, names, email), skipping numbers that do not parse.
    """
    started = time.perf_counter()
    engine = sa.create_engine(source_url)
    df = pd.read_sql(sa.text("SELECT * FROM contacts ORDER BY id LIMIT :n"), engine, params={"n": rows})
    engine.dispose()
    df = df.astype(object).where(df.notna(), None)  # NaN is not JSON: the first fix such a script gets
    token = httpx.post(f"{base_url}/oauth2/token", json=CREDENTIALS, timeout=30).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    posted = 0
    for row in df.itertuples():
        body = _naive_body(row)
        if body is None:
            continue
        for attempt in range(5):
            try:
                response = httpx.post(f"{base_url}{CONTACTS}", json=body, headers=headers, timeout=30)
            except httpx.TransportError:
                time.sleep(2**attempt)
                continue
            if response.status_code in (429, 500, 503):
                time.sleep(2**attempt)
                continue
            break
        posted += 1
    return time.perf_counter() - started, posted


def _naive_body(row: Any) -> dict[str, Any] | None:
    try:
        number = phonenumbers.parse(str(row.phone), (row.country or "US").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return {
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "mobile": {"number": e164, "country": phonenumbers.region_code_for_number(number)},
    }


def bare_phones(values: Sequence[tuple[Any, Any]], default_region: str = "US") -> int:
    """Parse, validate and E.164-format every (phone, country) pair, the row's country (else the
    default) as the region, nothing else: the floor the transform is measured against. How many
    were valid."""
    kept = 0
    for phone, country in values:
        region = country.strip().upper() if isinstance(country, str) and country.strip() else default_region
        try:
            number = phonenumbers.parse(phone, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            kept += 1
    return kept


def parse_phones_bare(values: Sequence[tuple[Any, Any]], default_region: str = "US") -> float:
    """Seconds `bare_phones` takes over `values`."""
    started = time.perf_counter()
    bare_phones(values, default_region)
    return time.perf_counter() - started


def read_bare(source_url: str, chunk_size: int) -> tuple[float, int]:
    """`SELECT * FROM contacts ORDER BY id` into DataFrames of `chunk_size` rows; (seconds, rows)."""
    engine = sa.create_engine(source_url)
    try:
        started, rows = time.perf_counter(), 0
        with engine.connect() as conn:
            query = sa.text("SELECT * FROM contacts ORDER BY id")
            for frame in pd.read_sql(query, conn, chunksize=chunk_size):
                rows += len(frame)
        return time.perf_counter() - started, rows
    finally:
        engine.dispose()

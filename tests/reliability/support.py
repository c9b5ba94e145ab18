"""Helpers for the reliability tests: a sample warehouse and its expected Sakari state, the emulator's
counters, the state database, and the `sakari-sync` command line as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import yaml

from sakari_emulator.server import EmulatorServer
from sakari_sync.config import SyncParameters
from sakari_sync.sample_data import SEGMENTS, create_sample_warehouse, sample_mapping
from sakari_sync.stages.extract import iter_pages
from sakari_sync.stages.report import SyncReport
from sakari_sync.stages.transform import transform_chunk
from tests.support.dedupe import split_winners
from tests.support.emulator import Emulator

LISTS = list(SEGMENTS)  # includes the pipeline fixtures' "newsletter" and "vip"
CLI = str(Path(sys.executable).with_name("sakari-sync"))
CONTACTS_ROUTE = "/v1/accounts/{accountId}/contacts"
# The `emulator` fixture, or a server a test starts for itself: the helpers below need only its URL.
AnyEmulator = Emulator | EmulatorServer


def sample_params(
    tmp_path: Path,
    block: str,
    list_ids: dict[str, str],
    *,
    rows: int,
    chunk_size: int = 1000,
    **sakari: Any,
) -> SyncParameters:
    """A sync of a fresh sample warehouse of `rows` messy contacts, every field mapped (as the demo)."""
    url = create_sample_warehouse(tmp_path / "warehouse.db", rows=rows, seed=6)
    return SyncParameters.model_validate(
        {
            "name": "reliability",
            "source": {
                "url": url,
                "table": "contacts",
                "key_column": "id",
                "cursor_column": "updated_at",
                "chunk_size": chunk_size,
            },
            "mapping": sample_mapping(list_ids),
            "sakari": {"block": block} | sakari,
            "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        }
    )


def run_sync(params: SyncParameters, **kwargs: Any) -> SyncReport:
    """One run of the flow in this process."""
    from sakari_sync.flows.sync import sync_contacts

    report: SyncReport = asyncio.run(sync_contacts(params=params, **kwargs))
    return report


# -- what Sakari should hold, and what it holds -------------------------------------------------------


def project(contact: dict[str, Any]) -> dict[str, Any]:
    """The fields a sync controls, from a create body or a contact as the emulator lists it."""
    out: dict[str, Any] = {
        "number": contact["mobile"]["number"],
        "country": contact["mobile"].get("country"),
        "attributes": contact.get("attributes") or {},
        "lists": sorted(item["id"] for item in contact.get("lists") or []),
    }
    return out | {f: contact[f] for f in ("firstName", "lastName", "email") if contact.get(f) is not None}


def expected_state(params: SyncParameters) -> dict[str, dict[str, Any]]:
    """What an uninterrupted run leaves in Sakari: the transform's winners for the whole source, by mobile."""
    assert params.source.url is not None
    frames = [page.rows for page in iter_pages(params.source.url, params.source)]
    rows = pd.concat(frames, ignore_index=True)
    result = transform_chunk(
        rows,
        params.mapping,
        params.phone,
        key_column=params.source.key_column,
        cursor_column=params.source.cursor_column,
    )
    winners, _ = split_winners(result.valid)
    return {m: project(json.loads(p)) for m, p in zip(winners["mobile"], winners["payload"], strict=True)}


def sakari_contacts(emulator: AnyEmulator) -> list[dict[str, Any]]:
    """Every contact in the emulator's account, in creation order."""
    contacts: list[dict[str, Any]] = httpx.get(f"{emulator.url}/_emulator/contacts", timeout=30).json()
    return contacts


def differences(expected: dict[str, dict[str, Any]], contacts: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Mobiles listed twice, expected but missing, present but not expected, or with other fields."""
    seen = Counter(c["mobile"]["number"] for c in contacts)
    actual = {c["mobile"]["number"]: project(c) for c in contacts}
    return {
        "duplicates": sorted(m for m, n in seen.items() if n > 1),
        "lost": sorted(set(expected) - set(actual)),
        "extra": sorted(set(actual) - set(expected)),
        "wrong": sorted(m for m in set(expected) & set(actual) if expected[m] != actual[m]),
    }


def emulator_stats(emulator: AnyEmulator) -> dict[str, Any]:
    """The emulator's request counts (`/_emulator/stats`)."""
    stats: dict[str, Any] = httpx.get(f"{emulator.url}/_emulator/stats", timeout=30).json()
    return stats


def count_requests(
    emulator: AnyEmulator, method: str, route: str = CONTACTS_ROUTE, status: int | None = None
) -> int:
    """Requests the emulator answered for this method and route template (and status, if given)."""
    return sum(
        r["count"]
        for r in emulator_stats(emulator)["requests"]
        if r["method"] == method and r["route"] == route and (status is None or r["status"] == status)
    )


def creates(emulator: AnyEmulator) -> int:
    """Creates Sakari accepted (201), counting every re-send of the same contact."""
    return count_requests(emulator, "POST", status=201)


def set_faults(emulator: AnyEmulator, **faults: Any) -> None:
    """Change the emulator's fault settings (`PATCH /_emulator/faults`)."""
    httpx.patch(f"{emulator.url}/_emulator/faults", json=faults, timeout=30).raise_for_status()


# -- the state database ------------------------------------------------------------------------------


def state_rows(params: SyncParameters, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the SQLite state database, read-only; [] while the table does not exist."""
    path = params.state_url.removeprefix("sqlite:///")
    if not Path(path).exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def ledger_statuses(params: SyncParameters) -> Counter[str]:
    return Counter(status for (status,) in state_rows(params, "SELECT status FROM sakari_ledger"))


# -- the command line --------------------------------------------------------------------------------


def write_config(params: SyncParameters, path: Path) -> Path:
    path.write_text(yaml.safe_dump(params.model_dump(mode="json")), encoding="utf-8")
    return path


def cli_env(api_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a `sakari-sync` subprocess: the test's Prefect server, a debug log of its own."""
    return os.environ | {
        "PREFECT_API_URL": api_url,
        "SAKARI_SYNC_DEBUG_LOG": str(tmp_path / "sakari-sync-debug.log"),
    }


class CliRun:
    """`sakari-sync run --config FILE --json` in its own process, its output in files (no pipe to fill)."""

    def __init__(self, config: Path, env: dict[str, str], name: str = "run") -> None:
        self.out, self.err = config.parent / f"{name}.out", config.parent / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [CLI, "run", "--config", str(config), "--json"],
                env=env,
                cwd=config.parent,
                stdout=out,
                stderr=err,
                text=True,
            )

    def wait(self, timeout: float = 240) -> int:
        return self.proc.wait(timeout=timeout)

    def stdout(self) -> str:
        return self.out.read_text()

    def stderr(self) -> str:
        return self.err.read_text()

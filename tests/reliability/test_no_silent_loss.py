"""No silent loss: a contact Sakari refuses is named with its reason everywhere a person looks (the CLI's
report and exit code, the run's state, its logs, the rejects artifact, the finished event), and the next
plain run sends it again by itself once the cause is fixed; one bad row never holds the others back.
Each case runs `sakari-sync run` as a user would, on SQLite and on PostgreSQL sources."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sakari_sync.config import SyncParameters
from sakari_sync.sample_data import create_sample_warehouse, sample_mapping
from tests.reliability.support import (
    CLI,
    cli_env,
    differences,
    expected_state,
    sakari_contacts,
    write_config,
)
from tests.support.emulator import Emulator
from tests.support.output import other_lines
from tests.support.prefect_api import flow_run_id_of, read_events, read_run_when

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

ROWS = 300
REFUSAL = "EMU-TEST-REFUSED"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def source_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty source database: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def sync_params(tmp_path: Path, source_url: str, block: str, list_ids: dict[str, str]) -> SyncParameters:
    """The demo's sync of a fresh 300-row sample warehouse, incremental by updated_at."""
    create_sample_warehouse(source_url, rows=ROWS, seed=11)
    return SyncParameters.model_validate(
        {
            "name": "no-silent-loss",
            "source": {
                "url": source_url,
                "table": "contacts",
                "cursor_column": "updated_at",
                "chunk_size": 100,
            },
            "mapping": sample_mapping(list_ids),
            "sakari": {"block": block, "batch_size": 50},
            "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        }
    )


def run_cli(params: SyncParameters, api_url: str, tmp_path: Path) -> tuple[int, dict[str, Any] | None, str]:
    """`sakari-sync run --config sync.yaml --json`: exit code, the JSON report (if printed), stderr."""
    config = write_config(params, tmp_path / "sync.yaml")
    done = subprocess.run(
        [CLI, "run", "--config", str(config), "--json"],
        env=cli_env(api_url, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, report, done.stderr


def refuse(emulator: Emulator, mobiles: list[str]) -> None:
    for mobile in mobiles:
        rule = {"mobile": mobile, "status": 400, "code": REFUSAL, "message": "Refused for the test"}
        httpx.post(f"{emulator.url}/_emulator/rules", json=rule, timeout=10).raise_for_status()


def test_refused_contacts_are_named_everywhere_and_the_next_plain_run_sends_them(
    tmp_path: Path,
    source_url: str,
    emulator: Emulator,
    sakari_block: str,
    list_ids: dict[str, str],
    api_url: str,
) -> None:
    """Two contacts refused out of about 250: the run ends Partial (exit 1) and names sakari:<code> in
    the report, the state, the logs, the rejects artifact and the event; with the cause gone, the
    next plain run (its cursor already past those rows) sends exactly those two."""
    params = sync_params(tmp_path, source_url, sakari_block, list_ids)
    expected = expected_state(params)
    refused = sorted(expected)[:2]
    refuse(emulator, refused)
    since = dt.datetime.now(dt.UTC).isoformat()

    code, report, stderr = run_cli(params, api_url, tmp_path)
    assert code == 1, stderr
    assert report is not None
    assert report["rejected_by_reason"][f"sakari:{REFUSAL}"] == 2
    assert report["pending"] == 2
    assert report["created"] == len(expected) - 2
    view = read_run_when(flow_run_id_of(report), lambda v: any("Sakari refused" in line for line in v.logs))
    assert (view.state_type, view.state_name) == ("COMPLETED", "Partial")
    assert f"2 pending (sakari:{REFUSAL} 2)" in view.message
    assert any(f"sakari:{REFUSAL}: Refused for the test" in line for line in view.logs)
    rejects = view.artifacts["sakari-sync-rejects"]
    rows = json.loads(rejects) if isinstance(rejects, str) else rejects
    refused_rows = [r for r in rows if r["reason"] == f"sakari:{REFUSAL}"]
    assert len(refused_rows) == 2
    assert all(r["detail"] == "Refused for the test" and r["kind"] == "sakari" for r in refused_rows)
    [event] = [
        e
        for e in read_events(api_url, "sakari.sync.finished", since)
        if e["resource"]["prefect.resource.name"] == "no-silent-loss"
    ]
    assert event["payload"]["rejected_by_reason"][f"sakari:{REFUSAL}"] == 2

    httpx.delete(f"{emulator.url}/_emulator/rules", timeout=10).raise_for_status()
    code, again, stderr = run_cli(params, api_url, tmp_path)
    assert code == 0, stderr
    assert again is not None
    assert again["mode"] == "incremental"
    assert (again["created"], again["pending"]) == (2, 0)
    assert not any(differences(expected, sakari_contacts(emulator)).values())


def test_one_wrong_list_id_stops_the_load_naming_the_list_and_the_fixed_run_delivers_everyone(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """One list id of five is wrong: contacts are accepted around the refusals, yet the load stops once
    the code repeats, with one line naming mapping.lists.ids and the list (exit 2). After the fix the
    next plain run reads every row again (the stopped run moved no cursor) and Sakari holds each valid
    contact exactly once."""
    wrong = dict(list_ids, vip="0000000000000000deadbeef")
    params = sync_params(tmp_path, f"sqlite:///{tmp_path / 'warehouse.db'}", sakari_block, wrong)
    code, report, stderr = run_cli(params, api_url, tmp_path)
    assert code == 2
    assert report is None
    [line, *_] = other_lines(stderr)
    assert "mapping.lists.ids" in line
    assert "list id 0000000000000000deadbeef" in line

    fixed = params.model_copy(update={"mapping": params.mapping.model_validate(sample_mapping(list_ids))})
    code, again, stderr = run_cli(fixed, api_url, tmp_path)
    assert code == 0, stderr
    assert again is not None
    assert again["mode"] == "full"
    assert not any(differences(expected_state(fixed), sakari_contacts(emulator)).values())


def test_a_mapping_change_rereads_every_row_and_sends_only_what_changed(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str], api_url: str
) -> None:
    """After a completed run, changing a setting that shapes what is sent (here the merge strategy, which
    changes no payload) makes the next plain run read every row again and say why; the ledger sends
    nothing, since no payload changed."""
    params = sync_params(tmp_path, f"sqlite:///{tmp_path / 'warehouse.db'}", sakari_block, list_ids)
    code, first, stderr = run_cli(params, api_url, tmp_path)
    assert code == 0, stderr
    changed = params.model_copy(update={"phone": params.phone.model_copy(update={"reject_fixed_line": True})})
    changed = changed.model_copy(
        update={"mapping": changed.mapping.model_copy(update={"country": "country"})}
    )
    merged = changed.model_copy(
        update={"sakari": changed.sakari.model_copy(update={"merge_strategy": "core"})}
    )
    code, again, stderr = run_cli(merged, api_url, tmp_path)
    assert code == 0, stderr
    assert again is not None
    assert first is not None
    assert again["mode"] == "full"
    assert "sakari.merge_strategy" in (again["reread"] or "")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, first["created"])


def test_a_row_without_a_key_is_rejected_and_every_other_row_is_sent(
    tmp_path: Path,
    source_url: str,
    emulator: Emulator,
    sakari_block: str,
    list_ids: dict[str, str],
    api_url: str,
) -> None:
    """A NULL key cannot be paged to or tracked: that row is rejected as missing_key, and the run goes
    on to send every other contact (exit 0)."""
    params = sync_params(tmp_path, source_url, sakari_block, list_ids)
    engine = sa.create_engine(source_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE contacts_nullable AS SELECT * FROM contacts"))
        conn.execute(sa.text("UPDATE contacts_nullable SET id = NULL WHERE id = 5"))
    engine.dispose()
    source = params.source.model_copy(update={"table": "contacts_nullable"})
    params = params.model_copy(update={"source": source})
    code, report, stderr = run_cli(params, api_url, tmp_path)
    assert code == 0, stderr
    assert report is not None
    assert report["rejected_by_reason"]["missing_key"] == 1
    assert report["extracted"] == ROWS
    assert report["created"] >= len(expected_state(params)) - 1
    assert os.path.exists(tmp_path / "state.db")

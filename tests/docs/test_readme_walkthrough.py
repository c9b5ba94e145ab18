"""The README, command by command, as a newcomer follows it: the Prefect server, the emulator and a
block pointing at it, their own PostgreSQL table, the config file, a dry run and a run, then a block for
the real Sakari (the emulator standing in for it), and the opt-outs query. Afterwards the runs' stored
parameters hold the `${WAREHOUSE_PASSWORD}` reference, never the password.

The mirror (see tests/docs/doc_shell.py) puts in place of the reader's: the suite's Prefect server, a
free port for the emulator, the local PostgreSQL (database `test`, a schema of the test's own for
`crm`, user `postgres`), a password of the test's, the emulator's demo credentials for the real
account's, and the state database in the table's schema (the README suggests PostgreSQL for it, and
the opt-outs query joins the two).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import psycopg
import pytest
import yaml
from psycopg import sql

from tests.conftest_db import _CONNINFO, postgres_unreachable
from tests.docs.doc_shell import (
    EXPORT,
    REPO,
    RUN,
    Background,
    Plan,
    Shell,
    Skip,
    action_for,
    commands,
    fenced_blocks,
)
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

README = (REPO / "README.md").read_text(encoding="utf-8")
SECRET = "wh-pass-5e1b7c"  # the reader's database password: no flow run may store it
EMULATOR_LIST_IDS = {"newsletter": "58a7ba9a03981e2298903027", "vip": "53fc4dfbb02ab884dcae827f"}

TEST_CLI = "tests/pipeline/test_cli.py::test_make_demo_twice_sends_nothing_the_second_time"
PLAN: Plan = [
    (r"make demo\b", Skip(f"run as written (twice) by {TEST_CLI}")),
    (r"make test\b", Skip("the suite itself; tests/test_readme.py checks that .ci/run calls exactly this")),
    (
        r"\.venv/bin/prefect server start$",
        Skip("the suite's Prefect server (tests/conftest.py) stands in for it: another costs ~20 s"),
    ),
    (
        r"PREFECT_SERVER_UI_API_URL=\S+ \.venv/bin/prefect server start --port",
        Skip("tests/ui/test_prefect_ui.py starts a server on a port of its own this way and drives its UI"),
    ),
    (r"export ", EXPORT),
    (r"\.venv/bin/sakari-sync emulator ", Background(r"listening on")),
    (r"(\w+=\S+ )?\.venv/bin/sakari-sync (blocks save|run) ", RUN),
]


@dataclass
class Walk:
    """What the walkthrough did: each command's output, the emulator's banner, the skipped commands."""

    shell: Shell
    schema: str
    outputs: dict[str, str] = field(default_factory=dict)
    banner: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    queried: list[tuple[Any, ...]] = field(default_factory=list)

    def flow_run_ids(self) -> list[str]:
        text = "\n".join(self.outputs.values())
        return re.findall(r"/runs/flow-run/([0-9a-f-]{36})", text)


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    """A schema of the test's own in the local PostgreSQL, standing in for the README's `crm`."""
    problem = postgres_unreachable()
    if problem is not None:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"PostgreSQL unreachable: {problem}")
    name = f"crm_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(_CONNINFO, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def walk(prefect_server: None, schema: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """Every block of the README, in order, run or skipped as PLAN says."""
    from prefect.settings import PREFECT_API_URL

    port = _free_port()
    in_schema = f"127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    shell = Shell(
        tmp_path_factory.mktemp("readme"),
        mirror={
            "http://127.0.0.1:4200/api": str(PREFECT_API_URL.value()),
            "--port 8765": f"--port {port}",
            "http://127.0.0.1:8765": f"http://127.0.0.1:{port}",
            "sync:${WAREHOUSE_PASSWORD}@127.0.0.1:5432/warehouse": "postgres:${WAREHOUSE_PASSWORD}@"
            + in_schema,
            "sqlite:///sakari-state.db": f"postgresql+psycopg://postgres@{in_schema}",
            "CREATE SCHEMA crm;": f"CREATE SCHEMA {schema};",
            "crm.contacts": f"{schema}.contacts",
            "WAREHOUSE_PASSWORD=...": f"WAREHOUSE_PASSWORD={SECRET}",
            "SAKARI_CLIENT_SECRET=...": f"SAKARI_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
            "YOUR_ACCOUNT_ID": DEMO_ACCOUNT_ID,
            "YOUR_CLIENT_ID": DEMO_CLIENT_ID,
        },
        env={"XDG_STATE_HOME": str(tmp_path_factory.mktemp("state"))},
    )
    done = Walk(shell, schema)
    try:
        for block in fenced_blocks(README):
            _follow(done, block.lang, block.text)
        yield done
    finally:
        shell.close()


def _follow(walk: Walk, lang: str, text: str) -> None:
    shell = walk.shell
    if lang == "sql":
        walk.queried = _execute(shell.substitute(text), walk.schema)
    elif lang == "yaml" and "block: sakari-emulator" in text:
        (shell.folder / "sync.yaml").write_text(shell.substitute(text))
    elif lang in ("console", "bash"):
        for command in commands(fenced_blocks(f"```{lang}\n{text}```")[0]):
            _run(walk, command)


def _run(walk: Walk, command: str) -> None:
    action = action_for(PLAN, command)
    if isinstance(action, Skip):
        walk.skipped[command] = action.reason
    elif isinstance(action, Background):
        walk.banner = walk.shell.start(command, action.ready)
    elif action == EXPORT:
        walk.shell.export(command)
    else:
        done = walk.shell.run(command)
        walk.outputs[command] = done.stdout + done.stderr
        if "--name sakari-prod" in command:
            _use_the_real_account(walk)


def _use_the_real_account(walk: Walk) -> None:
    """README step 6 after the block is saved: the emulator stands in for api.sakari.io; sync.yaml names
    the new block (its ids stay the emulator's), and the same run is run again."""
    from sakari_sync.blocks.sakari import SakariCredentials

    block = cast(SakariCredentials, SakariCredentials.load("sakari-prod"))
    assert block.base_url == "https://api.sakari.io", "without --base-url, the block is the real Sakari's"
    block.base_url = walk.shell.substitute("http://127.0.0.1:8765")
    block.save("sakari-prod", overwrite=True)
    config = walk.shell.folder / "sync.yaml"
    config.write_text(config.read_text().replace("block: sakari-emulator", "block: sakari-prod"))
    again = ".venv/bin/sakari-sync run --config sync.yaml  # again, with sakari-prod"
    walk.outputs[again] = walk.shell.run(again).stdout


def _execute(statements: str, schema: str) -> list[tuple[Any, ...]]:
    """Run a SQL block in the local PostgreSQL's `test` database, where unqualified names are the test
    schema's (the state tables are there); the last statement's rows, if any."""
    options = f"-c search_path={schema}"
    with psycopg.connect(_CONNINFO, autocommit=True, options=options) as conn, conn.cursor() as cursor:
        cursor.execute(statements.encode())
        return list(cursor.fetchall()) if cursor.description else []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_readme_command_runs_except_four_said_otherwise(walk: Walk) -> None:
    """Every command ran and succeeded (the walk asserts each), but these four, each with its reason;
    every mirror replacement was needed (else the README changed under the test)."""
    assert sorted(command.split("#")[0].strip() for command in walk.skipped) == [
        ".venv/bin/prefect server start",
        "PREFECT_SERVER_UI_API_URL=http://127.0.0.1:4300/api .venv/bin/prefect server start --port 4300",
        "make demo",
        "make test",
    ]
    assert len(walk.outputs) == 5, list(walk.outputs)  # two block saves, a dry run, two runs
    assert walk.shell.unused() == set(), "the README changed: update the mirror"


def test_the_emulator_prints_the_list_ids_the_readme_uses(walk: Walk) -> None:
    """The ids in the README's sync.yaml are the ones the emulator prints for those lists."""
    config = yaml.safe_load(next(b.text for b in fenced_blocks(README) if "block: sakari-emulator" in b.text))
    assert config["mapping"]["lists"]["ids"] == EMULATOR_LIST_IDS
    for name, list_id in EMULATOR_LIST_IDS.items():
        assert any(f"list '{name}': {list_id}" in line for line in walk.banner), walk.banner


def test_the_walkthrough_syncs_the_table_then_finds_it_unchanged(walk: Walk) -> None:
    """The dry run plans 3 contacts, the run creates them, the run with sakari-prod finds them unchanged."""
    dry, first, again = (o for c, o in walk.outputs.items() if " run " in f" {c} ")
    assert "plan (dry run, nothing sent): 3 to send, 0 rejected" in dry
    assert re.search(r"^  created\s+3$", first, re.M), first
    assert re.search(r"^  unchanged\s+3$", again, re.M), again


def test_the_opt_outs_query_runs_against_the_state_tables(walk: Walk) -> None:
    """The README's query joins the table and sakari_optouts: no one opted out, so every contact."""
    assert sorted(row[0] for row in walk.queried) == [1, 2, 3]


def test_no_flow_run_stores_the_database_password(walk: Walk) -> None:
    """The runs as the Prefect API gives them (the UI's Parameters tab), their logs and artifacts: the
    `${WAREHOUSE_PASSWORD}` reference is there, the password nowhere."""
    from prefect.settings import PREFECT_API_URL

    ids = walk.flow_run_ids()
    assert len(ids) == 3, walk.outputs
    by_run = {"flow_run_id": {"any_": ids}}
    with httpx.Client(base_url=str(PREFECT_API_URL.value()), timeout=30) as api:
        runs = [api.get(f"/flow_runs/{run_id}").json() for run_id in ids]
        logs = api.post("/logs/filter", json={"logs": by_run}).json()
        artifacts = api.post("/artifacts/filter", json={"artifacts": by_run}).json()
    assert logs, "the runs logged"
    assert SECRET not in json.dumps([runs, logs, artifacts])
    for run in runs:
        url = run["parameters"]["params"]["source"]["url"]
        assert url.startswith("postgresql+psycopg://postgres:${WAREHOUSE_PASSWORD}@127.0.0.1:5432/test"), url

"""docs/deploy.md, command by command, against the suite's Prefect server: the server's database, the
blocks, the work pool and `prefect deploy --all` from the shipped prefect.yaml, the warehouse event
(with the Prefect CLI and as the documented HTTP call) and the alerts. The commands that start a
server or a worker, or wait for one, are run by tests/deploy (a server on PostgreSQL with auth on,
real workers): the plan names the test for each.

Afterwards: no deployment stores a secret, although the shell that deployed held the state database's
password (in SAKARI_STATE_URL and PGPASSWORD, as a reader's may); and the server refuses a run whose
parameters would carry a password.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from psycopg import sql

from sakari_sync.config import SyncParameters
from tests.conftest_db import _CONNINFO, postgres_unreachable
from tests.docs.doc_shell import EXPORT, REPO, RUN, Plan, Shell, Skip, action_for, commands, fenced_blocks
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DEPLOY_MD = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
SECRET = "state-pass-0c4e2a"  # the state database's password, in the deploying shell's environment
SERVER = "tests/deploy/stack.py starts this server (its own PostgreSQL database, auth on) for tests/deploy"
WORKER = (
    "a worker never exits: tests/deploy/conftest.py starts workers on this pool and runs these deployments"
)
DEPLOYMENTS = "tests/deploy/test_deployments.py"
PLAN: Plan = [
    (r"createdb ", RUN),
    (
        r"export PREFECT_(API_DATABASE_CONNECTION_URL|SERVER_API_AUTH_STRING)=",
        Skip(f"the server's own setting: {SERVER}"),
    ),
    (r"prefect server start ", Skip(SERVER)),
    (r"export ", EXPORT),
    (r"prefect worker start ", Skip(WORKER)),
    (
        r"prefect deployment run sync-contacts/nightly --watch",
        Skip(f"waits for a worker: {DEPLOYMENTS}::test_worker_runs_the_deployment_and_publishes_the_summary"),
    ),
    (
        r"prefect deployment run sync-contacts-sharded/sharded",
        Skip(
            f"waits for workers: {DEPLOYMENTS}::test_sharded_deployment_runs_disjoint_shards_on_two_workers"
        ),
    ),
    (r"(prefect|python|sakari-sync) ", RUN),
]


@dataclass
class Walk:
    """What the walk through deploy.md did."""

    shell: Shell
    api: str
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    posted: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A name of the test's own for the Prefect server's database (dropped afterwards)."""
    problem = postgres_unreachable()
    if problem is not None:
        import os

        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"PostgreSQL unreachable: {problem}")
    name = f"sakari_prefect_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(_CONNINFO, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def walk(prefect_server: None, database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """Every block of deploy.md, in order, run or skipped as PLAN says; the automations removed after."""
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value())
    shell = Shell(
        tmp_path_factory.mktemp("deploy-doc"),
        mirror={
            "sakari_prefect": database,
            "http://prefect-host:4200/api": api,
            "PGPASSWORD=...": f"PGPASSWORD={SECRET}",
            "<uuid4>": str(uuid.uuid4()),
        },
        env={  # what the reader's shell holds: the secrets the python block reads, the state database's
            "WAREHOUSE_PASSWORD": "warehouse-pass",
            "SAKARI_ACCOUNT_ID": DEMO_ACCOUNT_ID,
            "SAKARI_CLIENT_ID": DEMO_CLIENT_ID,
            "SAKARI_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "SAKARI_STATE_URL": f"postgresql+psycopg://sakari:{SECRET}@db.internal/sakari_state",
            "PGPASSWORD": SECRET,
            "XDG_STATE_HOME": str(tmp_path_factory.mktemp("state")),
        },
    )
    done = Walk(shell, api)
    httpx.delete(f"{api}/work_pools/sakari-process", timeout=30)  # a fresh server has no such pool
    try:
        for block in fenced_blocks(DEPLOY_MD):
            _follow(done, block.lang, block.text)
        yield done
    finally:
        shell.close()
        _remove_alerts()


def _follow(walk: Walk, lang: str, text: str) -> None:
    shell = walk.shell
    if lang == "python":
        (shell.folder / "blocks.py").write_text(shell.substitute(text))
        walk.outputs["python blocks.py"] = shell.run("python blocks.py").stdout
    elif lang == "json":  # the documented HTTP call of a job without Prefect installed
        events = json.loads(shell.substitute(text))
        user, _, password = shell.env["PREFECT_API_AUTH_STRING"].partition(":")
        auth = (user, password)
        walk.posted.append(httpx.post(f"{walk.api}/events", json=events, auth=auth, timeout=30).status_code)
    elif lang == "bash":
        for command in commands(fenced_blocks(f"```bash\n{text}```")[0]):
            action = action_for(PLAN, command)
            if isinstance(action, Skip):
                walk.skipped[command] = action.reason
            elif action == EXPORT:
                shell.export(command)
            else:
                done = shell.run(command)
                walk.outputs[command] = done.stdout + done.stderr


def _remove_alerts() -> None:
    import asyncio

    from prefect.client.orchestration import get_client

    from sakari_sync.app.alerts import NAMES

    async def remove() -> None:
        async with get_client() as client:
            for name in NAMES:
                for automation in await client.read_automations_by_name(name):
                    await client.delete_automation(automation.id)

    asyncio.run(remove())


def _deployments(api: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
    return [d for d in found if d["name"] in ("nightly", "on-warehouse-update", "shard", "sharded")]


def test_every_deploy_doc_command_runs_except_those_said_otherwise(walk: Walk) -> None:
    """Every command ran and succeeded (the walk asserts each) but the server and worker ones, each with
    its reason; the HTTP call was answered 204 as the doc says; every mirror replacement was needed."""
    assert sorted(c.split("#")[0].strip() for c in walk.skipped) == sorted(
        [
            "export PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sakari_prefect",
            "export PREFECT_SERVER_API_AUTH_STRING='sakari-admin:change-me'",
            "prefect server start --host 0.0.0.0 --port 4200",
            "prefect worker start --pool sakari-process",
            "prefect deployment run sync-contacts/nightly --watch",
            "prefect worker start --pool sakari-process --name worker-a",
            "prefect worker start --pool sakari-process --name worker-b",
            "prefect deployment run sync-contacts-sharded/sharded -p shards=4 --watch",
        ]
    )
    assert walk.posted == [204]
    assert walk.shell.unused() == set(), "deploy.md changed: update the mirror"


def test_deploy_all_creates_the_four_deployments(walk: Walk) -> None:
    """`prefect deploy --all` from the shipped prefect.yaml registers every deployment on the pool."""
    assert sorted(d["name"] for d in _deployments(walk.api)) == [
        "nightly",
        "on-warehouse-update",
        "shard",
        "sharded",
    ]
    assert all(d["work_pool_name"] == "sakari-process" for d in _deployments(walk.api))


def test_no_deployment_stores_a_secret(walk: Walk) -> None:
    """The deploying shell held the state database's password: no deployment (parameters, job
    variables, anything the API gives) holds it; state_url is the `${SAKARI_STATE_URL}` reference."""
    deployments = _deployments(walk.api)
    assert deployments
    assert SECRET not in json.dumps(deployments)
    assert {d["parameters"]["params"]["state_url"] for d in deployments} == {"${SAKARI_STATE_URL}"}
    pool = httpx.get(f"{walk.api}/work_pools/sakari-process", timeout=30).json()
    assert SECRET not in json.dumps(pool)


def test_the_server_refuses_a_run_whose_parameters_hold_a_password(walk: Walk) -> None:
    """A custom run (the UI's form, the API) with a password in source.url is refused before it is
    stored: the parameters' schema carries the no-password rule."""
    nightly = next(d for d in _deployments(walk.api) if d["name"] == "nightly")
    params = nightly["parameters"]["params"]
    params["source"] = {"url": f"postgresql+psycopg://reader:{SECRET}@db/dw", "table": "contacts"}
    answer = httpx.post(
        f"{walk.api}/deployments/{nightly['id']}/create_flow_run",
        json={"parameters": {"params": params}},
        timeout=30,
    )
    assert answer.status_code in (409, 422), answer.text
    runs = httpx.post(
        f"{walk.api}/flow_runs/filter",
        json={"flow_runs": {"deployment_id": {"any_": [nightly["id"]]}}},
        timeout=30,
    ).json()
    assert SECRET not in json.dumps(runs)


def test_the_alerts_command_creates_the_automations(walk: Walk) -> None:
    """`sakari-sync alerts` as deploy.md gives it, with the Slack block saved just before."""
    from sakari_sync.app.alerts import NAMES

    command = "sakari-sync alerts --notify-block slack-webhook/data-alerts"
    assert walk.outputs[command].startswith(f"created automations {', '.join(map(repr, NAMES))}")


def test_the_shipped_prefect_yaml_names_list_ids_to_adapt() -> None:
    """The list ids are placeholders to replace (marked ADAPT); without ids, the parameters are refused."""
    shipped = (REPO / "prefect.yaml").read_text(encoding="utf-8")
    params = yaml.safe_load(shipped)["definitions"]["sync_params"]
    ids = SyncParameters.model_validate(params).mapping.lists.ids
    assert ids
    assert all(value.startswith("REPLACE-WITH-THE-SAKARI-LIST-ID-OF-") for value in ids.values())
    assert shipped.count("# ADAPT") >= 5
    del params["mapping"]["lists"]["ids"]
    with pytest.raises(ValueError, match=r"would be sent to Sakari as list ids"):
        SyncParameters.model_validate(params)
    assert "{{ $" not in shipped, "nothing is read from the environment when deploying"


def test_deploy_md_has_no_bare_createdb_prefect() -> None:
    """The server's database is named so it cannot be another team's `prefect` on a shared server."""
    assert "createdb -h 127.0.0.1 -U postgres prefect\n" not in DEPLOY_MD
    assert "base_url=" in DEPLOY_MD, "the block snippet says where Sakari is"

"""One real Prefect stack (server on PostgreSQL, auth on) for the deployment tests, with the blocks the
deployments in prefect.yaml name pointing at a test warehouse and the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from tests.conftest_db import postgres_unreachable
from tests.deploy.stack import AUTH_STRING, REPO, Stack, prefect_stack, worker_env
from tests.pipeline.conftest import ROWS, write_rows
from tests.support.credentials import DEMO_CREDENTIALS


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, lists=["newsletter", "vip"])) as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    problem = postgres_unreachable()
    if problem is not None:
        import os

        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"PostgreSQL unreachable: {problem}")
    with prefect_stack(tmp_path_factory.mktemp("prefect")) as running:
        yield running


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('warehouse') / 'warehouse.db'}"
    write_rows(url, ROWS)
    return url


@pytest.fixture(scope="module")
def blocks(stack: Stack, warehouse: str, emulator_server: EmulatorServer) -> None:
    """Save the `warehouse` and `sakari-prod` blocks that prefect.yaml's parameters name."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
    from prefect_sqlalchemy import SqlAlchemyConnector

    from sakari_sync.blocks.sakari import SakariCredentials

    with temporary_settings({PREFECT_API_URL: stack.api_url, PREFECT_API_AUTH_STRING: AUTH_STRING}):
        SqlAlchemyConnector(connection_info=warehouse).save("warehouse", overwrite=True)
        SakariCredentials(
            base_url=emulator_server.url,
            **DEMO_CREDENTIALS,
        ).save("sakari-prod", overwrite=True)


@pytest.fixture(scope="module")
def deployed(
    stack: Stack, blocks: None, emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The work pool, `prefect deploy --all` from prefect.yaml, and a worker; returns the worker's dir."""
    workdir = tmp_path_factory.mktemp("worker")
    stack.cli("work-pool", "create", "sakari-process", "--type", "process")
    adapted = adapt_prefect_yaml(emulator_server, workdir)
    stack.cli("deploy", "--all", cwd=adapted.parent)  # ${SAKARI_STATE_URL} is resolved in each run
    stack.start_worker("sakari-process", "worker-a", workdir, worker_env(workdir))
    return workdir


def adapt_prefect_yaml(emulator: EmulatorServer, folder: Path) -> Path:
    """The shipped prefect.yaml with its `# ADAPT` list ids filled in, as docs/deploy.md tells a user to:
    each list name of the warehouse's `segments` column mapped to its id in the (emulated) account."""
    list_ids = {item["name"]: item["id"] for item in httpx.get(f"{emulator.url}/_emulator/lists").json()}
    text = (REPO / "prefect.yaml").read_text(encoding="utf-8")
    for name, list_id in list_ids.items():
        text = text.replace(f"REPLACE-WITH-THE-SAKARI-LIST-ID-OF-{name}", list_id)
    assert "REPLACE-WITH" not in text, "every placeholder list id has a list in the emulator"
    adapted = folder / "prefect.yaml"
    adapted.write_text(text, encoding="utf-8")
    return adapted


class _Inbox(BaseHTTPRequestHandler):
    messages: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.messages.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the messages, not a log."""


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook receiver standing in for Slack: (url, messages received)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", _Inbox.messages
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def alerts(stack: Stack, deployed: Path, inbox: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The two alert automations, notifying a custom-webhook block that posts to the inbox."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    url, messages = inbox
    with temporary_settings({PREFECT_API_URL: stack.api_url, PREFECT_API_AUTH_STRING: AUTH_STRING}):
        CustomWebhookNotificationBlock(
            name="test-inbox", url=url, json_data={"subject": "{{subject}}", "body": "{{body}}"}
        ).save("alerts", overwrite=True)
    done = subprocess.run(  # the documented command, run as a user would
        [sys.executable, "-m", "sakari_sync.app.alerts", "--notify-block", "custom-webhook/alerts"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return messages

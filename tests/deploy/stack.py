"""A real Prefect stack for the deployment tests: `prefect server start` on a fresh PostgreSQL database,
with API auth on, plus helpers to run the `prefect` CLI and workers against it and to read its REST API.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg import sql

from tests.conftest_db import _CONNINFO

AUTH = ("sakari-admin", "test-only-secret")
AUTH_STRING = ":".join(AUTH)
REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database (with pg_trgm) for one Prefect server, dropped afterwards."""
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_CONNINFO, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(_CONNINFO, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Stack:
    """The server's URL, the client environment, and the processes to stop at the end."""

    api_url: str
    home: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, auth=AUTH, timeout=30.0)

    def cli(self, *args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
        """Run `prefect <args>`; fail with its output if it fails."""
        done = subprocess.run(
            [PREFECT, "--no-prompt", *args],
            cwd=cwd,
            env=self.env | (env or {}),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start_worker(self, pool: str, name: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        """A worker polling `pool`; `env` is added to its environment (the runs it starts inherit it)."""
        log = (self.home / f"worker-{name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", pool, "--name", name, "--type", "process"],
                cwd=cwd,
                env=self.env | (env or {}),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait_for_run(self, run_id: str, timeout: float = 150.0) -> dict[str, Any]:
        """Poll a flow run until it is final; return it."""
        with self.api() as api:
            return wait_until(lambda: _final(api.get(f"/flow_runs/{run_id}").json()), timeout, self.home)

    def artifact_keys(self, run_id: str) -> set[str]:
        body = {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
        with self.api() as api:
            return {a["key"] for a in api.post("/artifacts/filter", json=body).json() if a["key"]}

    def runs_of(self, deployment: str) -> list[dict[str, Any]]:
        with self.api() as api:
            dep = api.get(f"/deployments/name/{deployment}").json()
            body = {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}}}
            runs: list[dict[str, Any]] = api.post("/flow_runs/filter", json=body).json()
            return runs


def _final(run: dict[str, Any]) -> dict[str, Any] | None:
    return run if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED") else None


def wait_until(probe: Callable[[], T | None], timeout: float, home: Path) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(1.0)
    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(home.glob("*.log")))
    raise AssertionError(f"timed out after {timeout}s; logs:\n{logs}")


@contextmanager
def prefect_stack(home: Path) -> Iterator[Stack]:
    """Start `prefect server start` on a fresh PostgreSQL database with API auth; stop and drop it after."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    common = base | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
    }
    with fresh_database() as db_url:
        server_env = common | {
            "PREFECT_API_DATABASE_CONNECTION_URL": db_url,
            "PREFECT_SERVER_API_AUTH_STRING": AUTH_STRING,
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        }
        client_env = common | {
            "PREFECT_API_URL": api_url,
            "PREFECT_API_AUTH_STRING": AUTH_STRING,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
        }
        stack = Stack(api_url, home, client_env)
        log = (home / "server.log").open("ab")
        stack.processes.append(
            subprocess.Popen(
                [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )
        try:
            wait_until(lambda: _healthy(api_url), 120, home)
            yield stack
        finally:
            stack.stop()


def _healthy(api_url: str) -> bool | None:
    try:
        ok = httpx.get(f"{api_url}/health", auth=AUTH, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return None
    return True if ok else None


def worker_env(workdir: Path) -> dict[str, str]:
    """What a worker's environment holds for the runs it starts: where the state database is (a URL
    that may hold a password, so never a deployment parameter)."""
    return {"SAKARI_STATE_URL": f"sqlite:///{workdir / 'state.db'}"}

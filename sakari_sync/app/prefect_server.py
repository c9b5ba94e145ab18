"""The Prefect server a command reports to: checked before anything runs, or started for the demo.

`sakari-sync run`, `blocks` and `alerts` need a real server: the one `PREFECT_API_URL` names (in the
environment or the Prefect profile). Without one they stop at once with one line saying how to get
one, instead of Prefect's ephemeral mode (a throw-away server that takes ~20 s to start and forgets
the run's history and blocks when the command ends). The demo starts a local server itself when
none is configured, with its database in the demo's folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from sakari_sync.errors import PrefectError

STARTUP_SECONDS = 90
LOCAL_PORT = 4200
LOCAL_API = f"http://127.0.0.1:{LOCAL_PORT}/api"


@dataclass
class PrefectServer:
    api_url: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def is_healthy(api_url: str) -> bool:
    """Whether a Prefect server answers its health check at `api_url` (no credentials needed)."""
    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def prefect_command() -> str:
    """How to call this installation's `prefect` in a hint: `prefect` when that is the one on PATH,
    else its path (`.venv/bin/prefect` from the project folder)."""
    exe = Path(sys.executable).with_name("prefect")
    on_path = shutil.which("prefect")
    if on_path and Path(on_path).resolve() == exe.resolve():
        return "prefect"
    here = Path.cwd()
    inside = here != Path(here.anchor) and exe.is_relative_to(here)  # from "/", the full path reads better
    return str(exe.relative_to(here)) if inside else str(exe)


def configured_api_url() -> str | None:
    """`PREFECT_API_URL` as Prefect reads it (environment, then the active profile), or None."""
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value).rstrip("/") if value else None


def require_server() -> str:
    """The API URL of the configured Prefect server, checked to answer; PrefectError otherwise."""
    api_url = configured_api_url()
    if api_url is None:
        if is_healthy(LOCAL_API):
            hint = f"a server answers at {LOCAL_API}: export PREFECT_API_URL={LOCAL_API}"
        else:
            hint = (
                f"start one ({prefect_command()} server start, in another terminal) and "
                f"export PREFECT_API_URL={LOCAL_API}"
            )
        raise PrefectError(f"PREFECT_API_URL is not set, so there is no Prefect server to report to; {hint}")
    check_server(api_url)
    return api_url


def check_server(api_url: str) -> None:
    """Raise PrefectError naming `api_url` unless the server there answers (with our credentials)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is None:
        return
    status = problem.response.status_code if isinstance(problem, httpx.HTTPStatusError) else None
    if status in (401, 403):
        raise PrefectError(
            f"the Prefect server at {api_url} (PREFECT_API_URL) refused our credentials ({status}): "
            "check PREFECT_API_AUTH_STRING (or PREFECT_API_KEY)"
        )
    what = f"answers {status}" if status else f"does not answer ({type(problem).__name__})"
    raise PrefectError(
        f"the Prefect server at {api_url} (PREFECT_API_URL) {what}: start it, or point PREFECT_API_URL "
        "at the server you use"
    )


def ensure_server(home: Path, port: int = LOCAL_PORT) -> PrefectServer:
    """Use the server `PREFECT_API_URL` names in the environment or one running on the port, or start
    one with its database under `home` (the caller exports its URL)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        check_server(configured)
        return PrefectServer(configured)
    api_url = f"http://127.0.0.1:{port}/api"
    if is_healthy(api_url):
        return PrefectServer(api_url)
    return _start_server(home, port)


def _start_server(home: Path, port: int) -> PrefectServer:
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_UI_API_URL": api_url,  # else the UI's own calls go to port 4200
    }
    with (home / "server.log").open("ab") as log:  # the child keeps its own copy of the handle
        process = subprocess.Popen(  # noqa: S603 - our own venv's prefect, fixed arguments
            [_prefect_executable(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = PrefectServer(api_url, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectError(f"the Prefect server exited at start; see {home / 'server.log'}")
        if is_healthy(api_url):
            return server
        time.sleep(0.5)
    server.stop()
    raise PrefectError(
        f"the Prefect server did not start within {STARTUP_SECONDS}s; see {home / 'server.log'}"
    )


def _prefect_executable() -> str:
    exe = Path(sys.executable).with_name("prefect")
    return str(exe) if exe.exists() else shutil.which("prefect") or "prefect"

"""Find a Prefect server to report to, or start a local one for the demo.

Prefect's ephemeral mode (no server) drops task-run history when the process ends, so the demo always
runs against a real server: the one `PREFECT_API_URL` names, one already on the port, or a new
`prefect server start` whose database lives in the demo's folder.
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

STARTUP_SECONDS = 90


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
    try:
        return httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _prefect_command() -> list[str]:
    exe = Path(sys.executable).with_name("prefect")
    return [str(exe)] if exe.exists() else [shutil.which("prefect") or "prefect"]


def ensure_server(home: Path, port: int = 4200) -> PrefectServer:
    """Use the configured or running server, or start one with its database under `home`."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not is_healthy(configured):
            raise RuntimeError(f"PREFECT_API_URL={configured} does not answer; start that server or unset it")
        return PrefectServer(configured)
    api_url = f"http://127.0.0.1:{port}/api"
    if is_healthy(api_url):
        return PrefectServer(api_url)
    home.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_UI_API_URL": api_url,  # else the UI's own calls go to port 4200
    }
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own venv's prefect, fixed arguments
        [*_prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = PrefectServer(api_url, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited at start; see {home / 'server.log'}")
        if is_healthy(api_url):
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(
        f"the Prefect server did not start within {STARTUP_SECONDS}s; see {home / 'server.log'}"
    )

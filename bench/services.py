"""What the benchmarks run against: the emulator in its own process, a Prefect server, the machine.

The emulator runs as `python -m sakari_emulator` in a child process rather than as an in-process
`EmulatorServer`: in one process its uvicorn thread would share the GIL with the pipeline and make the
pipeline look slower than it is. Each case reconfigures the one emulator at run time
(`PATCH /_emulator/faults`) and starts from an empty account (`POST /_emulator/reset`).
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

from sakari_sync.sample_data import SEGMENTS

CONTACTS_ROUTE = "/v1/accounts/{accountId}/contacts"
TOKEN_ROUTE = "/oauth2/token"  # noqa: S105 - a route, not a password
FAULTS_OFF: dict[str, Any] = {"rate_limit": None, "retry_after": True, "latency": 0.0, "latency_jitter": 0.0}


@dataclass
class Emulator:
    """A running emulator process: its base URL, pid and list ids by name."""

    url: str
    pid: int
    list_ids: dict[str, str]

    def configure(self, **faults: Any) -> None:
        """Forget every contact and count, then set the faults (anything not named: off)."""
        httpx.patch(f"{self.url}/_emulator/faults", json=FAULTS_OFF | faults, timeout=30).raise_for_status()
        httpx.post(f"{self.url}/_emulator/reset", timeout=60).raise_for_status()

    def counts(self, method: str = "POST", route: str = CONTACTS_ROUTE) -> dict[int, int]:
        """Answers so far to `method route`, by status."""
        stats = httpx.get(f"{self.url}/_emulator/stats", timeout=60).json()
        found: dict[int, int] = {}
        for row in stats["requests"]:
            if row["method"] == method and row["route"] == route:
                found[int(row["status"])] = found.get(int(row["status"]), 0) + int(row["count"])
        return found

    def requests(self) -> int:
        """API requests answered so far, of any method, route and status, token requests aside."""
        stats = httpx.get(f"{self.url}/_emulator/stats", timeout=60).json()
        return sum(int(row["count"]) for row in stats["requests"] if row["route"] != TOKEN_ROUTE)

    def created_span(self) -> tuple[int, float]:
        """(contacts, seconds between the first and the last one's creation), by the emulator's clock."""
        import datetime as dt

        contacts = httpx.get(f"{self.url}/_emulator/contacts", timeout=300).json()
        stamps = sorted(
            dt.datetime.fromisoformat(c["created"]["at"].replace("Z", "+00:00")) for c in contacts
        )
        if len(stamps) < 2:
            return len(stamps), 0.0
        return len(stamps), (stamps[-1] - stamps[0]).total_seconds()


@contextmanager
def run_emulator() -> Iterator[Emulator]:
    """`python -m sakari_emulator --port 0` with the sample lists, in a child process."""
    lists = [arg for name in SEGMENTS for arg in ("--list", name)]
    command = [sys.executable, "-m", "sakari_emulator", "--port", "0", *lists]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            if "listening on " not in first:
                raise RuntimeError(f"the emulator did not start: {first!r}")
            url = first.rsplit(" ", 1)[-1].strip()
            found = httpx.get(f"{url}/_emulator/lists", timeout=10).json()
            yield Emulator(url, child.pid, {item["name"]: item["id"] for item in found})
        finally:
            child.send_signal(signal.SIGINT)
            child.wait(timeout=30)


@contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API to run flows against: `PREFECT_API_URL` if set, else a new local server.

    Never Prefect's ephemeral mode: it loses task history and adds seconds to every process.
    """
    from sakari_sync.app.prefect_server import ensure_server

    with tempfile.TemporaryDirectory(prefix="sakari-bench-prefect-") as home:
        configured = os.environ.get("PREFECT_API_URL")
        server = ensure_server(Path(home), port=_free_port())
        previous = {k: os.environ.get(k) for k in ("PREFECT_API_URL", "PREFECT_HOME")}
        os.environ["PREFECT_API_URL"] = server.api_url
        if not configured:
            os.environ["PREFECT_HOME"] = home
        try:
            yield server.api_url
        finally:
            server.stop()
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def describe_machine() -> dict[str, str]:
    """Cores, memory, OS, CPU model and the versions that matter for the figures."""
    info = {
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    for package in ("prefect", "httpx", "httpcore", "uvicorn", "pandas", "phonenumbers", "SQLAlchemy"):
        info[package] = version(package)
    info["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info


def _memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

"""Measure how many contact creates per second the emulator answers over real HTTP.

    python -m sakari_emulator.measure [--creates 5000] [--concurrency 16] [--url URL]

By default it starts `python -m sakari_emulator --port 0` (default options, in-memory database) in a
child process, so server and client each get a core, as in a local sync; `--url` measures a running
emulator instead (with the default demo credentials). Prints one line with the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from .config import EmulatorConfig

_DEFAULTS = EmulatorConfig()


@dataclass
class Result:
    creates: int
    seconds: float
    client_cpu: float
    server_cpu: float | None

    def report(self, concurrency: int) -> str:
        lines = [
            f"{self.creates} creates, {concurrency} concurrent, over HTTP: "
            f"{self.creates / self.seconds:,.0f} creates/s (wall clock)"
        ]
        cpu = f"CPU per create: this httpx client {self.client_cpu / self.creates * 1e6:,.0f} µs"
        if self.server_cpu:
            per = self.server_cpu / self.creates
            cpu += f", emulator {per * 1e6:,.0f} µs (≈{1 / per:,.0f} creates/s per core)"
        return "\n".join([*lines, cpu])


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def start_child() -> Iterator[tuple[str, int]]:
    """Run the emulator CLI in a child process; yield its base URL and pid."""
    command = [sys.executable, "-m", "sakari_emulator", "--port", "0"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        if "listening on " not in first:
            raise RuntimeError(f"the emulator did not start: {first!r}")
        yield first.rsplit(" ", 1)[-1].strip(), child.pid
    finally:
        child.terminate()
        child.wait(timeout=10)


async def measure(base_url: str, creates: int, concurrency: int, server_pid: int | None = None) -> Result:
    """Send `creates` distinct contacts with `concurrency` workers through one AsyncClient."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        token = await client.post(
            "/oauth2/token",
            json={"grant_type": "client_credentials", "client_id": _DEFAULTS.client_id,
                  "client_secret": _DEFAULTS.client_secret},
        )  # fmt: skip
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        path = f"/v1/accounts/{_DEFAULTS.account_id}/contacts"
        numbers = iter(range(creates))

        async def worker() -> None:
            for n in numbers:
                body = {
                    "firstName": f"First{n}",
                    "lastName": f"Last{n}",
                    "email": f"person{n}@example.com",
                    "mobile": {"number": f"+1415{n:07d}", "country": "US"},
                    "attributes": {"source_key": str(n), "tier": "gold"},
                }
                response = await client.post(path, json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"create answered {response.status_code}: {response.text[:200]}")

        server_before = process_cpu_seconds(server_pid) if server_pid else None
        started, client_before = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds, client_cpu = time.perf_counter() - started, time.process_time() - client_before
        server_after = process_cpu_seconds(server_pid) if server_pid else None
        server_cpu = None if server_before is None or server_after is None else server_after - server_before
        return Result(creates, seconds, client_cpu, server_cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sakari_emulator.measure", description=__doc__.split("\n")[0])
    parser.add_argument("--creates", type=int, default=5000, help="contacts to create (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default %(default)s)")
    parser.add_argument("--url", help="measure a running emulator at this base URL instead of starting one")
    args = parser.parse_args(argv)
    if args.url:
        result = asyncio.run(measure(args.url, args.creates, args.concurrency))
    else:
        with start_child() as (url, pid):
            result = asyncio.run(measure(url, args.creates, args.concurrency, pid))
    print(result.report(args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())

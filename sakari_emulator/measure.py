"""Measure how many contact creates per second the emulator answers.

    python -m sakari_emulator.measure [--creates 5000] [--concurrency 16] [--url URL | --in-process]

By default it starts `python -m sakari_emulator --port 0` (default options, in-memory database) in a
child process and talks to it over real HTTP through one `httpx.AsyncClient`, so server and client
each get a core, as in a local sync. `--url` measures an emulator that is already running (with the
demo credentials); `--in-process` measures the app through `httpx.ASGITransport`, without sockets.
Prints the wall-clock rate and the CPU each side spent per create.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from .app import create_app
from .config import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, EmulatorConfig

_PATH = f"/v1/accounts/{DEMO_ACCOUNT_ID}/contacts"


@dataclass
class Result:
    creates: int
    seconds: float
    client_cpu: float
    server_cpu: float | None

    def report(self, concurrency: int, how: str) -> str:
        rate = self.creates / self.seconds
        lines = [
            f"{self.creates} creates, {concurrency} concurrent, {how}: {rate:,.0f} creates/s (wall clock)"
        ]
        cpu = f"CPU per create: this process {self.client_cpu / self.creates * 1e6:,.0f} µs"
        if self.server_cpu:
            per = self.server_cpu / self.creates
            cpu += f", emulator process {per * 1e6:,.0f} µs (≈{1 / per:,.0f} creates/s per core)"
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
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:  # noqa: S603 - our own module
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            if "listening on " not in first:
                raise RuntimeError(f"the emulator did not start: {first!r}")
            yield first.rsplit(" ", 1)[-1].strip(), child.pid
        finally:
            child.send_signal(signal.SIGINT)
            child.wait(timeout=10)


def contact_body(n: int) -> dict[str, object]:
    """A realistic, distinct create body."""
    return {
        "firstName": f"First{n}",
        "lastName": f"Last{n}",
        "email": f"person{n}@example.com",
        "mobile": {"number": f"+1415{n:07d}", "country": "US"},
        "attributes": {"source_key": str(n), "tier": "gold"},
    }


async def send_creates(client: httpx.AsyncClient, creates: int, concurrency: int) -> None:
    """Log in, then create `creates` contacts with `concurrency` workers."""
    credentials = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    token = await client.post("/oauth2/token", json={"grant_type": "client_credentials", **credentials})
    token.raise_for_status()
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    numbers = iter(range(creates))

    async def worker() -> None:
        for n in numbers:
            response = await client.post(_PATH, json=contact_body(n))
            if response.status_code != 201:
                raise RuntimeError(f"create answered {response.status_code}: {response.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(
    client: httpx.AsyncClient, creates: int, concurrency: int, server_pid: int | None = None
) -> Result:
    """Time `send_creates`, with the CPU this process and (if given) the server process spent."""
    server_before = process_cpu_seconds(server_pid) if server_pid else None
    started, client_before = time.perf_counter(), time.process_time()
    await send_creates(client, creates, concurrency)
    seconds, client_cpu = time.perf_counter() - started, time.process_time() - client_before
    server_after = process_cpu_seconds(server_pid) if server_pid else None
    server_cpu = None if server_before is None or server_after is None else server_after - server_before
    return Result(creates, seconds, client_cpu, server_cpu)


async def run(args: argparse.Namespace) -> str:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    if args.in_process:
        transport = httpx.ASGITransport(app=create_app(EmulatorConfig()))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            result = await measure(client, args.creates, args.concurrency)
        return result.report(args.concurrency, "in-process (ASGITransport)")
    if args.url:
        async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=30) as client:
            result = await measure(client, args.creates, args.concurrency)
        return result.report(args.concurrency, f"over HTTP to {args.url}")
    with start_child() as (url, pid):
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            result = await measure(client, args.creates, args.concurrency, pid)
    return result.report(args.concurrency, "over HTTP")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sakari_emulator.measure", description="Creates/s.")
    parser.add_argument("--creates", type=int, default=5000, help="contacts to create (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight at once (default %(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="measure a running emulator at this base URL instead of starting one")
    where.add_argument("--in-process", action="store_true", help="measure through httpx.ASGITransport")
    print(asyncio.run(run(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

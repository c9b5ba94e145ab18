"""Measure what a create costs the client against a local emulator: creates/s and CPU per create.

    python -m sakari_client.measure [--creates 3000] [--concurrency 16] [--how client ...]

It starts `python -m sakari_emulator --port 0` in a child process (server and client each get a
core, as in a local sync), sends one create to warm up (a token, a connection), then creates
`--creates` distinct contacts, `--concurrency` at a time, and prints the wall-clock rate and this
process's CPU per create (`resource.getrusage`). `--how` (repeatable) picks what sends them, each
against a fresh emulator:

- `client`: `SakariClient` with its default transport (httpx over aiohttp);
- `client-httpcore`: `SakariClient` handed httpx's own transport (httpcore, one pool);
- `httpx-aiohttp`, `httpx-httpcore`: a bare `httpx.AsyncClient` on either transport, used the usual
  way (`post(path, params=..., json=...)`) with one token: no pacing, retries or parsing.

The emulator is started through its command line: this module imports nothing from it.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx

from sakari_client.client import SakariClient
from sakari_client.models import ContactIn
from sakari_client.transport import build_default_transport

# The emulator's default account and credentials (see `python -m sakari_emulator --help`).
ACCOUNT, CLIENT_ID, CLIENT_SECRET = "demo-account", "demo-client", "demo-secret"
HOWS = ("client", "client-httpcore", "httpx-aiohttp", "httpx-httpcore")
Send = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class Result:
    how: str
    creates: int
    seconds: float
    cpu_seconds: float

    def __str__(self) -> str:
        return (
            f"{self.how:>16}: {self.creates / self.seconds:7.0f} creates/s, "
            f"{self.cpu_seconds / self.creates * 1000:5.2f} ms CPU per create"
        )


@contextmanager
def start_emulator() -> Iterator[str]:
    """Run the emulator in a child process; yield its base URL."""
    command = [sys.executable, "-m", "sakari_emulator", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:  # noqa: S603 - our own module
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            if "http://" not in first:
                raise RuntimeError(f"the emulator did not start: {first!r}")
            yield "http://" + first.rsplit("http://", 1)[1].split()[0]
        finally:
            child.terminate()
            child.wait(timeout=10)


def build_contact(n: int) -> ContactIn:
    """A realistic contact; `n` makes its mobile unique."""
    return ContactIn.model_validate(
        {
            "firstName": f"First{n}",
            "lastName": f"Last{n}",
            "email": f"person{n}@example.com",
            "mobile": {"number": f"+1415{n:07d}", "country": "US"},
            "attributes": {"source_key": str(n), "tier": "gold"},
        }
    )


@asynccontextmanager
async def open_sender(url: str, how: str, concurrency: int) -> AsyncIterator[Send]:
    """A function that creates contact `n`, sent the way `how` names."""
    connections = concurrency + 2  # as SakariClient sizes its own pool
    httpcore = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    )
    if how.startswith("client"):
        transport = httpcore if how == "client-httpcore" else None
        async with SakariClient(
            url, ACCOUNT, CLIENT_ID, CLIENT_SECRET, max_in_flight=concurrency, transport=transport
        ) as client:

            async def create(n: int) -> None:
                await client.create_contact(build_contact(n))

            yield create
        return
    transport_ = httpcore if how == "httpx-httpcore" else build_default_transport(connections)
    async with httpx.AsyncClient(base_url=url, transport=transport_, timeout=30) as http:
        secret = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        token = await http.post("/oauth2/token", json={"grant_type": "client_credentials", **secret})
        http.headers["Authorization"] = f"Bearer {token.raise_for_status().json()['access_token']}"
        path = f"/v1/accounts/{ACCOUNT}/contacts"

        async def post(n: int) -> None:
            body = build_contact(n).to_body()
            answer = await http.post(path, params={"mergeStrategy": "append"}, json=body)
            answer.raise_for_status()

        yield post


async def measure(url: str, how: str, creates: int, concurrency: int) -> Result:
    """Warm up with one create, then time `creates` more, `concurrency` at a time."""
    async with open_sender(url, how, concurrency) as send:
        await send(creates)
        numbers = iter(range(creates))

        async def worker() -> None:
            for n in numbers:
                await send(n)

        started, cpu = time.perf_counter(), _cpu_seconds()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result(how, creates, time.perf_counter() - started, _cpu_seconds() - cpu)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sakari_client.measure", description="Creates/s, CPU.")
    parser.add_argument("--creates", type=int, default=3000, help="contacts to create (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight (default %(default)s)")
    parser.add_argument("--how", action="append", choices=HOWS, help="what sends (repeatable)")
    args = parser.parse_args(argv)
    for how in args.how or ["client"]:
        with start_emulator() as url:
            print(asyncio.run(measure(url, how, args.creates, args.concurrency)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

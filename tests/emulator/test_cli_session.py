"""`sakari-sync emulator --port P` serves the API, and a client session does the whole round trip."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sakari_client import SakariClient
from sakari_client.models import ContactIn, ListRef, MobileIn
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            httpx.get(f"{url}/_emulator/lists", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the emulator did not start within 30 s")


async def _session(url: str, list_id: str) -> None:
    async with SakariClient(url, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) as client:
        created = await client.create_contact(
            ContactIn(mobile=MobileIn(number="+14155552671"), firstName="Ada", lists=[ListRef(id=list_id)])
        )
        assert [c.id async for c in client.list_contacts()] == [created.id]
        updated = await client.update_contact(
            created.id, ContactIn(mobile=MobileIn(number="+14155552671"), firstName="Ada", lastName="L")
        )
        assert updated.lastName == "L"
        await client.delete_contact(created.id)
        assert await client.count_contacts() == 0


def test_a_client_creates_lists_updates_and_deletes_against_the_cli_emulator(tmp_path: Path) -> None:
    """sakari-sync emulator serves a whole client session: create, list, update, delete."""
    port = _free_port()
    cmd = Path(sys.executable).with_name("sakari-sync")
    proc = subprocess.Popen(
        [str(cmd), "emulator", "--port", str(port), "--database", str(tmp_path / "emu.db"), "--list", "vip"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        [vip] = httpx.get(f"{url}/_emulator/lists").json()
        asyncio.run(_session(url, vip["id"]))
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert "Traceback" not in output
    assert vip["id"] in output, "the list ids are printed at start"

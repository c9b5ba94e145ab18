"""The real `sakari-sync` process on mistakes around a run: no Prefect server configured, one that does
not answer, `--debug` on either side of the subcommand, Prefect's own debug setting, a wrong Sakari
secret under `--debug`, and `alerts` with a wrong block name. Each ends in one line and exit 2."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from tests.pipeline.conftest import ROWS, write_rows
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID

CLI = str(Path(sys.executable).with_name("sakari-sync"))
WRONG_SECRET = "wrong-secret-61c9"  # must never be printed


def sakari_sync(*args: str, cwd: Path, **env: str | None) -> subprocess.CompletedProcess[str]:
    """`sakari-sync ARGS` in its own process; `env` changes the environment (None removes a variable)."""
    environ = dict(os.environ)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    environ.setdefault("SAKARI_SYNC_DEBUG_LOG", str(cwd / "debug.log"))
    return subprocess.run(
        [CLI, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str], pattern: str) -> None:
    """Exit 2, nothing on stdout, no traceback, and exactly one line on stderr matching `pattern`."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr
    assert re.fullmatch(f"sakari-sync: {pattern}", done.stderr.strip()), done.stderr


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config that would work (a SQLite source of the pipeline tests' 7 rows)."""
    write_rows(f"sqlite:///{tmp_path / 'warehouse.db'}", ROWS)
    path = tmp_path / "sync.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "cli-errors",
                "source": {"url": f"sqlite:///{tmp_path / 'warehouse.db'}", "table": "contacts"},
                "mapping": {"mobile": "phone", "country": "country"},
                "sakari": {"block": "sakari-wrong-secret"},
                "state_url": f"sqlite:///{tmp_path / 'state.db'}",
            }
        )
    )
    return path


@pytest.mark.slow
def test_without_a_prefect_server_it_stops_at_once_saying_how_to_get_one(
    config: Path, tmp_path: Path
) -> None:
    """PREFECT_API_URL unset (environment and profile): one line, and no throw-away server started."""
    home = tmp_path / "prefect-home"
    done = sakari_sync(
        "run", "--config", str(config), cwd=tmp_path, PREFECT_API_URL=None, PREFECT_HOME=str(home)
    )
    local = r"http://127\.0\.0\.1:4200/api"
    one_line(
        done,
        r"PREFECT_API_URL is not set, so there is no Prefect server to report to; "
        rf"(start one \(\S*prefect server start, in another terminal\) and export PREFECT_API_URL={local}"
        rf"|a server answers at {local}: export PREFECT_API_URL={local})",
    )
    assert not list(home.rglob("*.db")), "no ephemeral server (and its database) was started"


@pytest.mark.slow
def test_a_prefect_server_that_does_not_answer_is_named(tmp_path: Path) -> None:
    """`blocks save` (as `run` and `alerts`) checks the server first, and names its URL."""
    api = f"http://127.0.0.1:{closed_port()}/api"
    done = sakari_sync(
        "blocks", "save", "--name", "x", "--account-id", "a", "--client-id", "c",
        cwd=tmp_path, PREFECT_API_URL=api, SAKARI_CLIENT_SECRET="s",
    )  # fmt: skip
    one_line(
        done,
        rf"the Prefect server at {re.escape(api)} \(PREFECT_API_URL\) does not answer \(ConnectError\): "
        r"start it, or point PREFECT_API_URL at the server you use",
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_before_and_after_the_subcommand(where: str, tmp_path: Path) -> None:
    """`--debug` on either side of `run`; a config file that is not there names no debug log."""
    args = ["run", "--config", "nope.yaml"]
    done = sakari_sync(*(["--debug", *args] if where == "before" else [*args, "--debug"]), cwd=tmp_path)
    one_line(done, r"config file nope\.yaml not found")
    assert not (tmp_path / "debug.log").exists()


@pytest.mark.slow
def test_prefect_logging_level_debug_shows_debug_lines_on_the_console(config: Path, tmp_path: Path) -> None:
    """PREFECT_LOGGING_LEVEL=DEBUG: debug lines on the console, still ending in the one line."""
    api = f"http://127.0.0.1:{closed_port()}/api"
    done = sakari_sync(
        "run", "--config", str(config), cwd=tmp_path, PREFECT_API_URL=api, PREFECT_LOGGING_LEVEL="DEBUG"
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert any("| DEBUG   |" in line for line in lines), lines
    assert lines[-1].startswith(f"sakari-sync: the Prefect server at {api} (PREFECT_API_URL) does not answer")
    assert not (tmp_path / "debug.log").exists(), "nothing of this command's own was logged before it stopped"


@pytest.fixture(scope="module")
def api_url(prefect_server: None) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture(scope="module")
def wrong_secret_block(api_url: str) -> Iterator[None]:
    """`sakari-wrong-secret`: the emulator with a client secret it refuses."""
    from sakari_sync.app.runner import save_sakari_block

    with EmulatorServer(EmulatorConfig(port=0)) as emulator:
        save_sakari_block(
            "sakari-wrong-secret",
            base_url=emulator.url,
            account_id=DEMO_ACCOUNT_ID,
            client_id=DEMO_CLIENT_ID,
            client_secret=WRONG_SECRET,
        )
        yield


@pytest.mark.slow
@pytest.mark.usefixtures("wrong_secret_block")
def test_a_wrong_secret_under_debug_is_still_one_line(config: Path, tmp_path: Path, api_url: str) -> None:
    """`--debug` shows debug lines, never a traceback; the error is one line, the trace in the debug log."""
    done = sakari_sync(
        "run", "--config", str(config), "--json", "--debug", cwd=tmp_path, PREFECT_API_URL=api_url
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert any("| DEBUG   |" in line for line in lines)
    assert lines[-2:] == [
        "sakari-sync: Sakari refused the credentials (401): check the Sakari block's client id and "
        "client secret",
        f"  (details: {tmp_path / 'debug.log'})",
    ]
    log = (tmp_path / "debug.log").read_text()
    assert "Traceback" in log
    assert "AuthenticationError" in log
    assert WRONG_SECRET not in done.stderr + log


@pytest.fixture(scope="module")
def notification_block(api_url: str) -> str:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(name="cli-test", url="http://127.0.0.1:9/hook").save(
        "cli-test", overwrite=True
    )
    return "custom-webhook/cli-test"


@pytest.mark.slow
@pytest.mark.usefixtures("notification_block")
def test_alerts_with_a_wrong_block_name_names_the_server_and_the_blocks_there(
    tmp_path: Path, api_url: str
) -> None:
    """A notification block that is not saved: one line naming it, the server, and the blocks it has.
    (`python -m sakari_sync.app.alerts` is the same command: tests/deploy runs it.)"""
    done = sakari_sync(
        "alerts", "--notify-block", "slack-webhook/no-such", cwd=tmp_path, PREFECT_API_URL=api_url
    )
    one_line(
        done,
        rf"no block 'slack-webhook/no-such' on the Prefect server at {re.escape(api_url)} "
        r"\(notification blocks there: (\S+, )*custom-webhook/cli-test(, \S+)*\); save one first "
        r"\(docs/deploy\.md, Alerts\) or fix --notify-block",
    )


@pytest.mark.slow
def test_alerts_creates_the_three_automations(notification_block: str, tmp_path: Path, api_url: str) -> None:
    """`sakari-sync alerts` with a saved notification block creates (a rerun replaces) all three, the
    lost-run watch as a proactive trigger that marks the run Crashed."""
    import asyncio

    from prefect.client.orchestration import get_client

    from sakari_sync.app.alerts import LOST, NAMES

    done = sakari_sync("alerts", "--notify-block", notification_block, cwd=tmp_path, PREFECT_API_URL=api_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"created automations {', '.join(map(repr, NAMES))} on {api_url}: ")

    async def remove() -> list[Any]:
        async with get_client() as client:
            found = [a for name in NAMES for a in await client.read_automations_by_name(name)]
            for automation in found:
                await client.delete_automation(automation.id)
        return found

    found = asyncio.run(remove())
    assert sorted(a.name for a in found) == sorted(NAMES), "exactly one of each"
    lost = next(a for a in found if a.name == LOST)
    assert lost.trigger.posture == "Proactive"
    assert [action.type for action in lost.actions] == ["change-flow-run-state"]

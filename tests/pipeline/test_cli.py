"""The command line as a data engineer uses it: `run --config`, `--json`, `--dry-run`, the progress it
shows on stderr (plain lines in a pipe, a live table on a terminal), and the demo through `make demo`."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from sakari_sync.config import SyncParameters
from tests.pipeline.conftest import ROWS, write_rows
from tests.support.credentials import DEMO_CREDENTIALS

pytestmark = pytest.mark.usefixtures("prefect_server")

CLI = str(Path(sys.executable).with_name("sakari-sync"))
REPO = Path(__file__).resolve().parents[2]
# A progress line (sakari_sync/app/console.py), or Prefect's note while it flushes logs on a busy machine.
PROGRESS = re.compile(r"(extract|load|reconcile)( done)?: [\d,]+ .*")
PREFECT_NOTE = re.compile(r".*Still processing items.*")


def environment() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=environment(), capture_output=True, text=True, timeout=300, check=False
    )


def only_progress(stderr: str) -> list[str]:
    """The stderr lines, asserting there is no traceback and nothing but progress (or Prefect's note)."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    unexpected = [line for line in lines if not (PROGRESS.fullmatch(line) or PREFECT_NOTE.fullmatch(line))]
    assert unexpected == [], stderr
    return lines


def write_config(params: SyncParameters, folder: Path) -> Path:
    config = folder / "sync.yaml"
    config.write_text(yaml.safe_dump(params.model_dump(mode="json")))
    return config


MakeParams = Callable[[str], SyncParameters]


@pytest.fixture(scope="module")
def make_params(
    prefect_server: None, tmp_path_factory: pytest.TempPathFactory, params_template: dict[str, Any]
) -> MakeParams:
    """Parameters of a sync of its own (warehouse and state database) into the module's emulator."""

    def make(name: str) -> SyncParameters:
        folder = tmp_path_factory.mktemp(name)
        source = f"sqlite:///{folder / 'warehouse.db'}"
        write_rows(source, ROWS)
        raw = params_template | {"name": name, "state_url": f"sqlite:///{folder / 'state.db'}"}
        raw["source"] = raw["source"] | {"url": source}
        return SyncParameters.model_validate(raw)

    return make


@pytest.fixture(scope="module")
def params_template(prefect_server: None) -> Iterator[dict[str, Any]]:
    """The pipeline tests' sync (7 rows, 4 contacts to send) against an emulator for this module."""
    from sakari_sync.app.runner import save_sakari_block

    with EmulatorServer(EmulatorConfig(port=0, lists=["newsletter", "vip"])) as emulator:
        save_sakari_block(
            "sakari-cli",
            base_url=emulator.url,
            **DEMO_CREDENTIALS,
        )
        list_ids = {i["name"]: i["id"] for i in httpx.get(f"{emulator.url}/_emulator/lists").json()}
        yield {
            "source": {"url": "", "table": "contacts", "key_column": "id", "cursor_column": "updated_at"},
            "mapping": {
                "mobile": "phone",
                "country": "country",
                "first_name": "first_name",
                "last_name": "last_name",
                "email": "email",
                "lists": {"column": "segments", "separator": ",", "ids": list_ids},
            },
            "sakari": {"block": "sakari-cli", "batch_size": 2},
        }


@pytest.fixture(scope="module")
def piped(
    make_params: MakeParams, tmp_path_factory: pytest.TempPathFactory
) -> subprocess.CompletedProcess[str]:
    """`sakari-sync run --config FILE --json` with stdout and stderr in pipes, as in CI or cron."""
    folder = tmp_path_factory.mktemp("piped")
    return cli("run", "--config", str(write_config(make_params("cli-piped"), folder)), "--json", cwd=folder)


@pytest.fixture(scope="module")
def on_terminal(make_params: MakeParams, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str]:
    """The same with stderr on a terminal: (exit code, stdout, what the terminal shows)."""
    folder = tmp_path_factory.mktemp("terminal")
    config = write_config(make_params("cli-terminal"), folder)
    return run_on_a_terminal(["run", "--config", str(config), "--json"], folder)


def sent(report: dict[str, int]) -> int:
    # The module's syncs share one emulator: a contact another sync created comes back as updated.
    return report["created"] + report["updated"]


def test_run_with_a_config_file_prints_one_json_report(piped: subprocess.CompletedProcess[str]) -> None:
    """`--json`: stdout is the one JSON object; stderr holds progress lines and nothing else."""
    assert piped.returncode == 0, piped.stderr
    report = json.loads(piped.stdout)
    for key in ("extracted", "rejected", "created", "updated", "unchanged", "suppressed", "failed"):
        assert isinstance(report[key], int)
    assert sent(report) == 4
    only_progress(piped.stderr)


def test_a_run_in_a_pipe_tells_its_progress_in_plain_lines(piped: subprocess.CompletedProcess[str]) -> None:
    """Not on a terminal (CI, cron): a line at each stage's end at least, on stderr."""
    lines = only_progress(piped.stderr)
    assert any(line.startswith("extract done: 7 rows") for line in lines), lines
    assert any(line.startswith("load done: 4 contacts") for line in lines), lines


def test_a_dry_run_prints_its_plan_and_sends_nothing(make_params: MakeParams, tmp_path: Path) -> None:
    """The plan (phones masked), and nothing sent: the real run after it sends every contact."""
    config = str(write_config(make_params("cli-dry-run"), tmp_path))
    done = cli("run", "--config", config, "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "plan (dry run, nothing sent): 4 to send, 3 rejected" in done.stdout
    assert "+1415" not in done.stdout, "phones in the plan are masked"
    only_progress(done.stderr)
    again = cli("run", "--config", config, "--json", "--progress", "off", cwd=tmp_path)
    assert sent(json.loads(again.stdout)) == 4, "the dry run sent nothing, so the real run sends all"
    assert not [line for line in again.stderr.splitlines() if not PREFECT_NOTE.fullmatch(line)], again.stderr


def run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (120 columns) and stdout in a pipe, as
    `sakari-sync run --json > report.json` in a shell; returns (code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed
                return
            if not chunk:
                return
            screen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with subprocess.Popen(
        [CLI, *args], cwd=cwd, env=environment() | {"TERM": "xterm"}, stdout=subprocess.PIPE, stderr=slave,
    ) as proc:  # fmt: skip
        os.close(slave)
        out, _ = proc.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(screen).decode(errors="replace")


def test_a_run_on_a_terminal_keeps_stdout_for_the_report(on_terminal: tuple[int, str, str]) -> None:
    """stderr on a terminal (the live table), stdout in a file: the JSON report alone, no traceback."""
    code, out, screen = on_terminal
    assert code == 0, screen
    assert sent(json.loads(out)) == 4
    assert "Traceback" not in screen


def test_a_run_on_a_terminal_shows_the_live_table(on_terminal: tuple[int, str, str]) -> None:
    """On a terminal, the stages' rows stay on screen when the run ends."""
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", on_terminal[2])
    assert re.search(r"load\s+\S+\s+4 contacts", shown), shown


def test_make_demo_twice_sends_nothing_the_second_time(tmp_path: Path) -> None:
    """`make demo` (the README's first command; options through DEMO_ARGS) keeps its files in one folder,
    so a second demo finds nothing changed; a clean run prints no traceback and nothing unexpected."""
    venv = Path(sys.executable).parent.parent
    demo_args = f"--rows 300 --dir {tmp_path / 'demo'} --no-wait --json"
    make = subprocess.run(
        ["make", "-s", "demo", f"VENV={venv}", f"DEMO_ARGS={demo_args}"],
        cwd=REPO, env=environment(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert make.returncode == 0, make.stderr
    one = json.loads(make.stdout.splitlines()[-1])
    assert one["created"] > 200
    only_progress(make.stderr)
    second = cli("demo", "--rows", "300", "--dir", "demo", "--no-wait", "--json", cwd=tmp_path)
    two = json.loads(second.stdout)
    assert two["created"] + two["updated"] == 0
    assert two["unchanged"] == one["created"] + one["updated"]
    assert (tmp_path / "demo" / "warehouse.db").exists(), "the demo keeps its files in one folder"
    only_progress(second.stderr)


def test_the_demo_without_a_prefect_server_starts_one_and_syncs_against_it(tmp_path: Path) -> None:
    """A fresh machine: no PREFECT_API_URL, so the demo starts (or finds) the local server on port 4200
    and the whole sync reports to it, never to a throwaway one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run(
        [CLI, "demo", "--rows", "300", "--dir", str(tmp_path / "demo"), "--no-wait", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["created"] > 200
    assert report["flow_run_url"].startswith("http://127.0.0.1:4200/runs/flow-run/")
    only_progress(done.stderr)

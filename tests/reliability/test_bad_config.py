"""Bad configuration and environment, the way a data engineer meets them: `sakari-sync run --config`.

Each case ends with one line on stderr naming the problem and what to do (plus where the debug log
is), exit code 2, nothing on stdout, and no traceback; the full trace is in the debug log. The cases
that need a flow run go through the CLI's `main` one after the other in one fresh process
(`cli_driver`: a process start is most of a case's cost); a config file that cannot be read fails
before anything starts, so those run in this process. A real `sakari-sync` process printing its one
line is shown by the two-runs-at-once test in test_crash_resume.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sakari_emulator.config import EmulatorConfig
from sakari_emulator.server import EmulatorServer
from sakari_sync.app.cli import main
from sakari_sync.config import SyncParameters
from tests.pipeline.conftest import ROWS, write_rows
from tests.reliability.support import creates, write_config

pytestmark = pytest.mark.usefixtures("prefect_server")

WRONG_SECRET = "wrong-secret-4d1f"  # must never be printed

# case: (changes to the working config, the line expected after "sakari-sync: ")
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "misspelled mapping column": (
        {"mapping": {"first_name": "frist_name"}},
        r"mapping\.first_name names column 'frist_name', which source table 'contacts' does not have; "
        r"set it to one of: id, first_name, ",
    ),
    "missing key column": (
        {"source": {"key_column": "contact_id"}},
        r"source key column 'contact_id' not found in source table 'contacts'; "
        r"set source\.key_column to one of: id, ",
    ),
    "query with a syntax error": (
        {"source": {"table": None, "query": "SELEC id, phone FROM contacts"}},
        r"source\.query failed: .*syntax error.*; fix the SQL",
    ),
    "unreachable database": (
        {"source": {"url": "postgresql+psycopg://postgres@127.0.0.1:1/test"}},
        r"cannot connect to the source database at 127\.0\.0\.1:1 .*; check that the database server is "
        r"running and that source\.url \(or the block\) names it",
    ),
    "wrong Sakari credentials": (
        {"sakari": {"block": "sakari-wrong-secret"}},
        r"Sakari refused the credentials \(401\): check the Sakari block's client id and client secret",
    ),
    "wrong account id": (
        {"sakari": {"block": "sakari-wrong-account"}},
        r"Sakari refused the account id \(403 ACCT-008\): check the Sakari block's account id",
    ),
    "unknown list id": (
        {"mapping": {"lists": {"constant": ["no-such-list"]}}},
        r"Sakari refused 4 of the last 4 contacts with EMU-LIST-UNKNOWN \(.*\); that is the setup, not the "
        r"data: check mapping\.lists\.ids: every refused contact joins list id no-such-list, then run again",
    ),
    "missing Sakari block": (
        {"sakari": {"block": "no-such-block"}},
        r"sakari\.block names block 'no-such-block', which the Prefect server at http://.* does not have; "
        r"save it with `sakari-sync blocks save --name no-such-block`",
    ),
    "Sakari down": (
        {"sakari": {"block": "sakari-down", "retry_attempts": 2, "retry_timeout": 2}},
        r"Sakari at http://127\.0\.0\.1:\d+/accounts/demo-account kept failing \(.*\) for 4 contacts in a "
        r"row, .*check that Sakari is up",
    ),
}


@dataclass
class Ended:
    code: int
    stdout: str
    stderr: str
    debug_log: str


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def save_block(name: str, url: str, **changes: str) -> None:
    from sakari_sync.app.runner import save_sakari_block

    creds = {"account_id": "demo-account", "client_id": "demo-client", "client_secret": "demo-secret"}
    save_sakari_block(name, base_url=url, **(creds | changes))


@pytest.fixture(scope="module")
def ended(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Ended]]:
    """Every case run through the CLI; the working config would send 4 contacts."""
    from prefect.settings import PREFECT_API_URL

    tmp = tmp_path_factory.mktemp("bad-config")
    with (
        EmulatorServer(EmulatorConfig(port=0, lists=["newsletter", "vip"])) as emulator,
        EmulatorServer(EmulatorConfig(port=0, error_rate=1.0)) as down,
    ):
        save_block("sakari-ok", emulator.url)
        save_block("sakari-wrong-secret", emulator.url, client_secret=WRONG_SECRET)
        save_block("sakari-wrong-account", emulator.url, account_id="someone-else")
        save_block("sakari-down", down.url)
        list_ids = {i["name"]: i["id"] for i in httpx.get(f"{emulator.url}/_emulator/lists").json()}
        base = working_config(tmp, list_ids)
        folders = {case: tmp / f"case-{number}" for number, case in enumerate(CASES)}
        for case, folder in folders.items():
            folder.mkdir()
            changes = CASES[case][0] | {"state_url": f"sqlite:///{folder / 'state.db'}"}
            write_config(SyncParameters.model_validate(merged(base, changes)), folder / "sync.yaml")
        env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
        driver = subprocess.run(
            [sys.executable, "-m", "tests.reliability.cli_driver", *map(str, folders.values())],
            env=env,
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert (driver.returncode, driver.stdout, driver.stderr) == (0, "", "")
        yield {case: ended_in(folder) for case, folder in folders.items()}
        assert creates(emulator) == 0, "no case sent a contact"


def ended_in(folder: Path) -> Ended:
    result = json.loads((folder / "ended.json").read_text())
    log = folder / "sakari-sync-debug.log"
    return Ended(result["code"], result["stdout"], result["stderr"], log.read_text() if log.exists() else "")


def working_config(tmp: Path, list_ids: dict[str, str]) -> dict[str, Any]:
    """A config that works (the pipeline tests' 7 rows: 4 contacts to send), as a dict to change."""
    url = f"sqlite:///{tmp / 'warehouse.db'}"
    write_rows(url, ROWS)
    return {
        "name": "bad-config",
        "source": {"url": url, "table": "contacts", "key_column": "id", "cursor_column": "updated_at"},
        "mapping": {
            "mobile": "phone",
            "country": "country",
            "first_name": "first_name",
            "last_name": "last_name",
            "lists": {"column": "segments", "separator": ",", "ids": list_ids},
        },
        "sakari": {"block": "sakari-ok"},
        "state_url": f"sqlite:///{tmp / 'state.db'}",
    }


def assert_one_clear_line(code: int, stdout: str, stderr: str, expected: str) -> None:
    lines = stderr.splitlines()
    assert code == 2, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    assert re.fullmatch(r"  \(details: .+\)", lines[-1]), lines
    assert len(lines) == 2, lines
    assert re.match(f"sakari-sync: {expected}", lines[0]), lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_config_ends_with_one_clear_line_and_no_traceback(ended: dict[str, Ended], case: str) -> None:
    run = ended[case]
    assert_one_clear_line(run.code, run.stdout, run.stderr, CASES[case][1])
    assert "Traceback" in run.debug_log, "the full trace is kept in the debug log"
    assert WRONG_SECRET not in run.stderr + run.debug_log


MALFORMED = {
    "not YAML": (
        "source: [url, table\nmapping: {}\n",
        r"config file .*sync\.yaml is not valid YAML \(.* at line 2, column 8\); fix it",
    ),
    "misspelled setting": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nsakari: {batchsize: 10}\n",
        r"config file .*sync\.yaml: sakari\.batchsize: Extra inputs are not permitted "
        r"\(did you mean 'batch_size'\?\)",
    ),
    "a list, not settings": ("- source\n", r"config file .*sync\.yaml must be a mapping of parameters"),
    "unknown default region": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nphone: {default_region: USA}\n",
        r"config file .*sync\.yaml: phone\.default_region: Value error, 'USA' is not an ISO 3166 alpha-2 "
        r"region code, e\.g\. US, GB or DE",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_config_file_ends_with_one_clear_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAKARI_SYNC_DEBUG_LOG", str(tmp_path / "debug.log"))
    config = tmp_path / "sync.yaml"
    config.write_text(MALFORMED[case][0])
    code = main(["run", "--config", str(config)])
    out, err = capsys.readouterr()
    assert_one_clear_line(code, out, err, MALFORMED[case][1])

"""Bad configuration and environment, the way a data engineer meets them: `sakari-sync run --config`.

Each case ends with one line on stderr naming the problem and what to do, exit code 2, nothing on
stdout, and no traceback. When a run had started, a second line says where the debug log is, and
the full trace is there; a config file that cannot be read names no log (there is nothing in it).
The cases go through the CLI's `main` one after the other in one fresh process (`cli_driver`: a
process start is most of a case's cost); a config file that cannot be read fails before anything
starts, so those also run in this process. Real `sakari-sync` processes printing their one line are
in tests/app/test_cli_errors.py (the Prefect server, `--debug`, alerts) and test_crash_resume.py.
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
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CREDENTIALS
from tests.support.output import other_lines

pytestmark = pytest.mark.usefixtures("prefect_server")

WRONG_SECRET = "wrong-secret-4d1f"  # must never be printed

# case: (changes to the working config, the line expected after "sakari-sync: ", why it may fail yet)
CASES: dict[str, tuple[dict[str, Any], str, str | None]] = {
    "misspelled mapping column": (
        {"mapping": {"first_name": "frist_name"}},
        r"mapping\.first_name names column 'frist_name', which source table 'contacts' does not have; "
        r"set it to one of: id, first_name, ",
        None,
    ),
    "missing key column": (
        {"source": {"key_column": "contact_id"}},
        r"source key column 'contact_id' not found in source table 'contacts'; "
        r"set source\.key_column to one of: id, ",
        None,
    ),
    "query with a syntax error": (
        {"source": {"table": None, "query": "SELEC id, phone FROM contacts"}},
        r"source\.query failed: .*syntax error.*; fix the SQL",
        None,
    ),
    "unreachable database": (
        {"source": {"url": "postgresql+psycopg://postgres@127.0.0.1:1/test"}},
        r"cannot connect to the source database at 127\.0\.0\.1:1 .*; check that the database server is "
        r"running and that source\.url \(or the block\) names it",
        None,
    ),
    "wrong database user": (
        {"source": {"url": "postgresql+psycopg://no_such_user_9f2@127.0.0.1:5432/test"}},
        r"(?!.*check that it is running).*no_such_user_9f2.*check the user and password",
        None,
    ),
    "state folder missing": (
        {"state_url": "sqlite:///{tmp}/no-such-folder/state.db"},
        r"state_url\b.*no-such-folder.*does not exist",
        None,
    ),
    "state database missing": (
        {"state_url": "postgresql+psycopg://postgres@127.0.0.1:5432/no_such_state_db_9f2"},
        r"state_url\b.*no_such_state_db_9f2.*does not exist",
        None,
    ),
    "wrong Sakari credentials": (
        {"sakari": {"block": "sakari-wrong-secret"}},
        r"Sakari refused the credentials \(401\): check the Sakari block's client id and client secret",
        None,
    ),
    "wrong account id": (
        {"sakari": {"block": "sakari-wrong-account"}},
        r"Sakari refused the account id \(403 ACCT-008\): check the Sakari block's account id",
        None,
    ),
    "unknown list id": (
        {"mapping": {"lists": {"constant": ["no-such-list"]}}},
        r"Sakari refused 4 of the last 4 contacts with EMU-LIST-UNKNOWN \(.*\); that is the setup, not the "
        r"data: check mapping\.lists\.ids: every refused contact joins list id no-such-list, then run again",
        None,
    ),
    "missing Sakari block": (
        {"sakari": {"block": "no-such-block"}},
        r".*'no-such-block'.*Prefect server at http://127\.0\.0\.1:\d+/api",
        None,
    ),
    "Sakari down": (
        {"sakari": {"block": "sakari-down", "retry_attempts": 2, "retry_timeout": 2}},
        rf"Sakari at http://127\.0\.0\.1:\d+/accounts/{re.escape(DEMO_ACCOUNT_ID)} kept failing \(.*\) "
        r"for 4 contacts in a row, .*check that Sakari is up",
        None,
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

    save_sakari_block(name, base_url=url, **(DEMO_CREDENTIALS | changes))


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
            changes = {"state_url": f"sqlite:///{folder / 'state.db'}"} | CASES[case][0]
            changes["state_url"] = changes["state_url"].format(tmp=folder)
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


def assert_one_clear_line(code: int, stdout: str, stderr: str, expected: str, *, details: bool) -> None:
    """Exit 2, nothing on stdout, no traceback, the expected line, and the debug log named if `details`
    (besides Prefect's note while it flushes logs on a busy machine, which is not ours to judge)."""
    lines = other_lines(stderr)
    assert code == 2, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    if details:
        assert re.fullmatch(r"  \(details: .+\)", lines[-1]), lines
    assert len(lines) == (2 if details else 1), lines
    assert re.match(f"sakari-sync: {expected}", lines[0]), lines[0]


def maybe_later(case: str) -> Any:
    """The case as a test parameter, expected to fail (strictly) while the pipeline side is missing."""
    later = CASES[case][2]
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=later)) if later else case


@pytest.mark.slow
@pytest.mark.parametrize("case", [maybe_later(case) for case in CASES])
def test_a_bad_config_ends_with_one_clear_line_and_no_traceback(ended: dict[str, Ended], case: str) -> None:
    """One line naming the problem and the fix, then where the trace is (the trace is there)."""
    run = ended[case]
    assert_one_clear_line(run.code, run.stdout, run.stderr, CASES[case][1], details=True)
    assert "Traceback" in run.debug_log, "the full trace is kept in the debug log"
    assert WRONG_SECRET not in run.stderr + run.debug_log


MALFORMED = {
    "not YAML": (
        "source: [url, table\nmapping: {}\n",
        r"config file .*sync\.yaml is not valid YAML: line 2, column 8: a list opened with '\[' on line 1 "
        r"is not closed: a '\]' is missing$",
    ),
    "misspelled setting": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nsakari: {batchsize: 10}\n",
        r"config file .*sync\.yaml: sakari\.batchsize: unknown setting \(did you mean 'batch_size'\?\)$",
    ),
    "a list, not settings": ("- source\n", r"config file .*sync\.yaml must be a mapping of settings"),
    "unknown default region": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nphone: {default_region: USA}\n",
        r"config file .*sync\.yaml: phone\.default_region: 'USA' is not an ISO 3166 alpha-2 "
        r"region code, e\.g\. US, GB or DE$",
    ),
    "postgres:// URL": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nstate_url: 'postgres://sakari@db/state'\n",
        r"config file .*sync\.yaml: state_url: SQLAlchemy does not know postgres://; "
        r"write postgresql\+psycopg://$",
    ),
    "password in source.url": (
        "source: {url: 'postgresql+psycopg://reader:hunter2@db/dw', table: contacts}\n",
        r"config file .*sync\.yaml: source\.url holds a password, which would be stored with every flow "
        r"run and shown in the Prefect UI; write it as \$\{NAME\}",
    ),
    "list names sent as ids": (
        "source: {url: 'sqlite:///x.db', table: contacts}\nmapping: {lists: {column: segments}}\n",
        r"config file .*sync\.yaml: mapping\.lists\.ids: empty, so the values of column 'segments' would "
        r"be sent to Sakari as list ids",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_config_file_ends_with_one_clear_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before anything starts: one line, no debug log named, and none written."""
    monkeypatch.setattr(os, "environ", os.environ.copy())  # `main` sets Prefect's logging settings there
    monkeypatch.setenv("SAKARI_SYNC_DEBUG_LOG", str(tmp_path / "debug.log"))
    config = tmp_path / "sync.yaml"
    config.write_text(MALFORMED[case][0])
    code = main(["run", "--config", str(config)])
    out, err = capsys.readouterr()
    assert_one_clear_line(code, out, err, MALFORMED[case][1], details=False)
    assert "hunter2" not in err
    assert not (tmp_path / "debug.log").exists()

"""The command line as a data engineer uses it: `run --config`, `--json`, `--dry-run`, and the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sakari_sync.config import SyncParameters

pytestmark = pytest.mark.usefixtures("prefect_server")

CLI = str(Path(sys.executable).with_name("sakari-sync"))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_run_with_a_config_file_prints_one_json_report(params: SyncParameters, tmp_path: Path) -> None:
    config = tmp_path / "sync.yaml"
    config.write_text(yaml.safe_dump(params.model_dump(mode="json")))
    done = cli("run", "--config", str(config), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for key in ("extracted", "rejected", "created", "updated", "unchanged", "suppressed", "failed"):
        assert isinstance(report[key], int)
    assert report["created"] == 4
    assert "Traceback" not in done.stderr


def test_a_dry_run_prints_its_plan_and_sends_nothing(params: SyncParameters, tmp_path: Path) -> None:
    config = tmp_path / "sync.yaml"
    config.write_text(yaml.safe_dump(params.model_dump(mode="json")))
    done = cli("run", "--config", str(config), "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "plan (dry run, nothing sent): 4 to send, 3 rejected" in done.stdout
    assert "+1415" not in done.stdout, "phones in the plan are masked"
    again = cli("run", "--config", str(config), "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["created"] == 4, "the dry run sent nothing, so the real run creates all"


def test_the_demo_twice_sends_nothing_the_second_time(tmp_path: Path) -> None:
    first = cli("demo", "--rows", "300", "--dir", "demo", "--no-wait", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    one = json.loads(first.stdout)
    assert one["created"] > 200
    second = cli("demo", "--rows", "300", "--dir", "demo", "--no-wait", "--json", cwd=tmp_path)
    two = json.loads(second.stdout)
    assert two["created"] + two["updated"] == 0
    assert two["unchanged"] == one["created"] + one["updated"]
    assert (tmp_path / "demo" / "warehouse.db").exists(), "the demo keeps its files in one folder"
    assert first.stderr == "", "a clean run prints nothing on stderr"
    assert second.stderr == ""

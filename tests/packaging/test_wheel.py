"""The built wheel, installed (not editable) into a fresh virtual environment, in a Prefect project that
has its own `flows/` and `tasks/` packages: sakari-sync's names never collide with the user's, the
command line runs a sync, and a user-written flow runs sakari-sync's flow as a subflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from sakari_sync.config import SyncParameters

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"sakari_sync", "sakari_client", "sakari_emulator"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [built] = out.glob("sakari_sync-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed, not editable. Its dependencies come from this
    environment's site-packages through a path file (the registry is not needed twice), which adds no
    editable finder: sakari_sync can only come from the wheel."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    site = Path(sysconfig.get_path("purelib"))
    [fresh_site] = (env / "lib").glob("python*/site-packages")
    (fresh_site / "_dependencies.pth").write_text(f"{site}\n", encoding="utf-8")
    done = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return env


def test_the_wheel_installs_only_sakari_names(wheel: Path) -> None:
    """No generic top-level package (flows, tasks, blocks, bench) goes into site-packages."""
    with zipfile.ZipFile(wheel) as archive:
        tops = {
            name.split("/", 1)[0]
            for name in archive.namelist()
            if not name.split("/", 1)[0].endswith(".dist-info")
        }
        names = archive.namelist()
    assert tops == TOP_LEVEL
    assert "sakari_sync/flows/sync.py" in names
    assert "sakari_sync/tasks/load.py" in names
    assert "sakari_sync/state/migrations/versions/r0001_first_release.py" in names


def user_project(folder: Path, params: SyncParameters) -> Path:
    """A Prefect project of the user's: its own `flows` and `tasks` packages, one of whose flows runs
    sakari-sync's flow, and a sync config."""
    for package in ("flows", "tasks"):
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text("", encoding="utf-8")
    (folder / "tasks" / "sync.py").write_text(
        "RAISE = 1 / 0  # never imported by sakari-sync\n", encoding="utf-8"
    )
    (folder / "flows" / "nightly.py").write_text(
        textwrap.dedent(
            """
            import asyncio
            import sys

            import yaml
            from prefect import flow

            import sakari_sync
            from sakari_sync.config import SyncParameters
            from sakari_sync.flows.sync import sync_contacts


            @flow(name="my-nightly")
            async def nightly(config: str) -> str:
                with open(config, encoding="utf-8") as fh:
                    params = SyncParameters.model_validate(yaml.safe_load(fh))
                report = await sync_contacts(params.model_copy(update={"full_refresh": True}))
                return f"{report.unchanged} {report.created}"


            if __name__ == "__main__":
                print(sakari_sync.__file__)
                print(asyncio.run(nightly(sys.argv[1])))
            """
        ),
        encoding="utf-8",
    )
    config = folder / "sync.yaml"
    config.write_text(yaml.safe_dump(params.model_dump(mode="json")), encoding="utf-8")
    return config


def test_the_installed_cli_and_a_user_flow_run_beside_the_users_own_packages(
    fresh_env: Path, params: SyncParameters, tmp_path: Path
) -> None:
    """From the user's project folder (on the import path, as Prefect workers put it), `sakari-sync run`
    syncs, and the user's own flow imports sakari-sync's flow and runs it; both use the wheel's code."""
    from prefect.settings import PREFECT_API_URL

    project = tmp_path / "project"
    project.mkdir()
    config = user_project(project, params)
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(project)}
    env.pop("VIRTUAL_ENV", None)
    cli = subprocess.run(
        [str(fresh_env / "bin" / "sakari-sync"), "run", "--config", str(config), "--json"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["created"] == 4
    own = subprocess.run(
        [str(fresh_env / "bin" / "python"), "-m", "flows.nightly", str(config)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert own.returncode == 0, own.stderr
    installed_at, counts = own.stdout.strip().splitlines()[-2:]
    assert str(fresh_env) in installed_at, installed_at
    assert str(REPO) not in installed_at
    assert counts == "4 0", "the user's flow ran sakari-sync's flow: nothing changed since the CLI run"

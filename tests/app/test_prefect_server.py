"""How the command line names this installation's `prefect` in its hints (the demo's "to reopen the UI",
the missing-server line): a command the reader can paste."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sakari_sync.app.prefect_server import prefect_command

VENV_BIN = Path(sys.executable).parent


def test_the_venvs_prefect_by_its_path_when_it_is_not_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the project folder, `.venv/bin/prefect`; from elsewhere, its full path."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir(VENV_BIN.parent.parent)
    assert prefect_command() == f"{VENV_BIN.parent.name}/bin/prefect"  # .venv/bin/prefect
    monkeypatch.chdir("/")
    assert prefect_command() == str(VENV_BIN / "prefect")


def test_plain_prefect_when_the_venv_is_active(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the venv's bin first on PATH (an activated environment), just `prefect`."""
    monkeypatch.setenv("PATH", f"{VENV_BIN}:/usr/bin:/bin")
    assert prefect_command() == "prefect"

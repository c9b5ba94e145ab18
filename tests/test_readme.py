"""The README's promises that code can check without running anything: its config examples are valid
syncs, and its test command is the one CI runs. (tests/docs runs every command it shows.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sakari_sync.config import SyncParameters

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGS = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "mapping:" in b]


def test_the_readme_shows_the_walkthrough_config_and_every_setting() -> None:
    """Two config examples: the walkthrough's sync.yaml and the list of every setting."""
    assert len(CONFIGS) == 2


@pytest.mark.parametrize("block", CONFIGS, ids=["walkthrough", "every setting"])
def test_each_config_example_in_the_readme_is_a_valid_sync(block: str) -> None:
    """Each parses as YAML and validates as the flow's parameters, as written (list ids, no password)."""
    params = SyncParameters.model_validate(yaml.safe_load(block))
    assert params.source.cursor_column == "updated_at"
    assert params.mapping.lists.ids, "list names are mapped to ids"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run calls `make test` and nothing else, the command the README gives."""
    assert "make test    #" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == [
        "make test"
    ]

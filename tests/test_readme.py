"""The README's promises that code can check: its config example is valid, its commands are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sakari_sync.config import SyncParameters

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_config_example_in_the_readme_is_a_valid_sync() -> None:
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "mapping:" in b)
    raw = yaml.safe_load(re.sub(r"^   ", "", block, flags=re.M))
    raw["mapping"]["lists"]["ids"] = {"newsletter": "a", "vip": "b"}  # the README shows elided ids
    params = SyncParameters.model_validate(raw)
    assert params.source.cursor_column == "updated_at"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert "make test    #" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == [
        "make test"
    ]

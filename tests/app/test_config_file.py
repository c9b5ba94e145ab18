"""A config file's mistakes in plain words: YAML problems with line, column and what is wrong; a key
given twice; settings named by their dotted path, without pydantic's jargon."""

from __future__ import annotations

from pathlib import Path

import pytest

from sakari_sync.app.config_file import load_config
from sakari_sync.errors import ConfigError

SOURCE = "source: {url: 'sqlite:///x.db', table: contacts}\n"

YAML_MISTAKES = {
    "unclosed list": (
        "source: [url, table\nmapping: {}\n",
        "line 2, column 8: a list opened with '[' on line 1 is not closed: a ']' is missing",
    ),
    "unclosed mapping": (
        "source: {url: x\nname: y\n",
        "line 2, column 5: a mapping opened with '{' on line 1 is not closed: a '}' is missing",
    ),
    "colon in a value": (
        "name: a: b\n",
        "line 1, column 8: a second ':' on this line: quote a value that holds ': ', or check the "
        "indentation",
    ),
    "tab": (
        "source:\n\turl: x\n",
        "line 2, column 1: a tab: indent YAML with spaces only",
    ),
    "open quote": (
        'name: "contacts\n',
        "line 2, column 1: a quote opened on line 1 is never closed",
    ),
    "indentation": (
        "source:\n  url: x\n table: y\n",
        "line 3, column 2: the indentation does not line up with the lines above",
    ),
    "missing colon": (
        "name: contacts\nsource\n",
        "line 3, column 1: line 2 is neither 'key: value' nor a list item '- value'",
    ),
    "key twice": (
        SOURCE + "name: a\nname: b\n",
        "line 3, column 1: 'name' is given twice (line 2 and here); keep one",
    ),
}


@pytest.mark.parametrize("case", list(YAML_MISTAKES))
def test_yaml_mistakes_say_where_and_what(case: str, tmp_path: Path) -> None:
    """Each common YAML mistake: the line and column, then what is wrong in plain words."""
    text, expected = YAML_MISTAKES[case]
    config = tmp_path / "sync.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert str(refused.value) == f"config file {config} is not valid YAML: {expected}"


SETTINGS_MISTAKES = {
    "misspelt setting": (
        SOURCE + "sakari: {batchsize: 10}\n",
        "sakari.batchsize: unknown setting (did you mean 'batch_size'?)",
    ),
    "bad value": (
        SOURCE + "phone: {default_region: USA}\n",
        "phone.default_region: 'USA' is not an ISO 3166 alpha-2 region code, e.g. US, GB or DE",
    ),
    "missing section": (
        "name: x\n",
        "source: missing; it is required",
    ),
    "two problems": (
        "source: {url: 'sqlite:///x.db', table: t, chunk_size: x}\nsakari: {batch_size: 0}\n",
        "source.chunk_size: Input should be a valid integer, unable to parse string as an integer "
        "(and 1 more problem)",
    ),
    "list names without ids": (
        SOURCE + "mapping: {lists: {column: segments}}\n",
        "mapping.lists.ids: empty, so the values of column 'segments' would be sent to Sakari as list ids",
    ),
    "password in state_url": (
        SOURCE + "state_url: 'postgresql+psycopg://sakari:hunter2@db/state'\n",
        "state_url holds a password, which would be stored with every flow run and shown in the Prefect UI",
    ),
    "postgres scheme": (
        "source: {url: 'postgres://u@db/dw', table: t}\n",
        "source.url: SQLAlchemy does not know postgres://; write postgresql+psycopg://",
    ),
}


@pytest.mark.parametrize("case", list(SETTINGS_MISTAKES))
def test_settings_mistakes_name_the_setting(case: str, tmp_path: Path) -> None:
    """The first problem as `setting: what is wrong` (a validator naming its setting is not repeated)."""
    text, expected = SETTINGS_MISTAKES[case]
    config = tmp_path / "sync.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    message = str(refused.value)
    assert message.startswith(f"config file {config}: {expected}")
    assert "\n" not in message
    assert "hunter2" not in message


def test_a_missing_file_a_folder_and_a_list_are_named(tmp_path: Path) -> None:
    """Not there, a folder, or YAML that is not a mapping: one line each."""
    with pytest.raises(ConfigError, match=r"^config file .*nope\.yaml not found$"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"is a folder; give the YAML file in it$"):
        load_config(tmp_path)
    listed = tmp_path / "list.yaml"
    listed.write_text("- source\n")
    with pytest.raises(ConfigError, match=r"must be a mapping of settings \(name: \.\.\., source: \.\.\.\)$"):
        load_config(listed)


def test_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    """Refusing repeated keys does not refuse YAML's own reuse: an anchor merged, then a key overridden."""
    config = tmp_path / "sync.yaml"
    config.write_text(
        "source:\n"
        "  url: 'sqlite:///x.db'\n"
        "  query: SELECT * FROM contacts WHERE region = :region AND tier = :tier\n"
        "  params: {<<: &defaults {region: EU, tier: gold}, tier: silver}\n"
    )
    assert load_config(config).source.params == {"region": "EU", "tier": "silver"}

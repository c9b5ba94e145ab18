"""Reading a sync's YAML config file into `SyncParameters`; every mistake is one line in plain words.

YAML mistakes name the line and column and say what is wrong in a data engineer's words (PyYAML's own
words are kept only for the rare problems not listed here); a key given twice is refused (PyYAML
would silently keep the last one). Settings mistakes name the setting (`sakari.batch_size`), with
the closest known name for a misspelt one.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sakari_sync.config import SyncParameters
from sakari_sync.errors import ConfigError

# PyYAML's problem (its start) -> what it means, in our words; `{opened}` is the line the construct began.
_YAML_WORDS = {
    "expected ',' or ']'": "a list opened with '[' on line {opened} is not closed: a ']' is missing",
    "expected ',' or '}'": "a mapping opened with '{{' on line {opened} is not closed: a '}}' is missing",
    "mapping values are not allowed here": (
        "a second ':' on this line: quote a value that holds ': ', or check the indentation"
    ),
    "found character '\\t'": "a tab: indent YAML with spaces only",
    "found unexpected end of stream": "a quote opened on line {opened} is never closed",
    "expected <block end>": "the indentation does not line up with the lines above",
    "could not find expected ':'": "line {opened} is neither 'key: value' nor a list item '- value'",
    "found undefined alias": "an alias (*name) refers to no anchor (&name) above it",
}


_MERGE = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            # Only keys written here: a merge (`<<: *anchor`) may legitimately be overridden.
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{key!r} is given twice (line {seen[key]} and here); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path) -> SyncParameters:
    """Read a YAML config file into `SyncParameters`; raise ConfigError with one line if it is wrong."""
    p = Path(path)
    try:
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {p} is a folder; give the YAML file in it") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {p} is not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {p} is not valid YAML: {describe_yaml_error(exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {p} must be a mapping of settings (name: ..., source: ...)")
    try:
        return SyncParameters.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"config file {p}: {describe_validation_error(exc)}") from None


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """Where the YAML is wrong (line, column) and what is wrong, on one line."""
    problem = str(getattr(exc, "problem", None) or str(exc).strip().splitlines()[0])
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None) or mark
    opened = context.line + 1 if context is not None else "?"
    words = next((w for start, w in _YAML_WORDS.items() if problem.startswith(start)), problem)
    words = words.format(opened=opened)
    return f"line {mark.line + 1}, column {mark.column + 1}: {words}" if mark is not None else words


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem as `setting: what is wrong`, and how many more there are."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(x) for x in first["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    problem = _problem(first)  # a validator's message may name its setting itself
    return f"{problem if problem.startswith(where) else f'{where}: {problem}'}{more}"


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "extra_forbidden":
        return "unknown setting" + _spelling_hint(error["loc"])
    if error["type"] == "missing":
        return "missing; it is required"
    return str(error["msg"])


def _spelling_hint(loc: tuple[int | str, ...]) -> str:
    """For an unknown setting: the setting of that section it is closest to, if any."""
    model: type[BaseModel] = SyncParameters
    for part in loc[:-1]:
        annotation = model.model_fields[str(part)].annotation if str(part) in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

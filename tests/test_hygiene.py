"""The test suite's own rules, read from its source with `ast`: each test says what it proves, one
emulator fixture and one `Emulator` handle for every suite, the demo credentials named in one place."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sakari_emulator.config import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

TESTS = Path(__file__).resolve().parent
CREDENTIALS = TESTS / "support" / "credentials.py"
# Files allowed to spell the demo credentials out, each with the reason. Only a test that checks
# documentation text word for word belongs here; anything else imports tests/support/credentials.py.
CREDENTIAL_LITERALS_ALLOWED: dict[str, str] = {}


@cache
def parsed() -> dict[str, ast.Module]:
    """Every Python file under tests/, parsed, by path relative to the repository."""
    return {
        str(path.relative_to(TESTS.parent)): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(TESTS.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def fixture_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name pytest knows a fixture by (`name=` or the function's), or None if it is no fixture."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        if (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "fixture"
        ):
            named = [k.value for k in (call.keywords if call else []) if k.arg == "name"]
            if named and isinstance(named[0], ast.Constant) and isinstance(named[0].value, str):
                return named[0].value
            return node.name
    return None


def test_every_test_function_has_a_docstring() -> None:
    """Each `test_*` function in tests/ has a docstring saying what it proves."""
    missing = [
        f"{path}:{node.lineno} {node.name}"
        for path, tree in parsed().items()
        for node in functions(tree)
        if node.name.startswith("test_") and not (ast.get_docstring(node) or "").strip()
    ]
    assert missing == [], "test functions without a docstring:\n" + "\n".join(missing)


def test_the_emulator_fixture_is_defined_once() -> None:
    """A fixture named `emulator` is defined in one place only (tests/support/emulator.py)."""
    sites = [
        f"{path}:{node.lineno}"
        for path, tree in parsed().items()
        for node in functions(tree)
        if fixture_name(node) == "emulator"
    ]
    assert len(sites) == 1, f"the emulator fixture is defined at {sites}"


def test_the_emulator_class_is_defined_once() -> None:
    """A class named `Emulator` is defined in one place only (tests/support/emulator.py)."""
    sites = [
        f"{path}:{node.lineno}"
        for path, tree in parsed().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "Emulator"
    ]
    assert len(sites) == 1, f"class Emulator is defined at {sites}"


def test_the_demo_credentials_are_spelled_out_only_in_tests_support_credentials() -> None:
    """No string in tests/ holds the demo account, client id or secret but tests/support/credentials.py."""
    values = (DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    skip = {str(CREDENTIALS.relative_to(TESTS.parent)), *CREDENTIAL_LITERALS_ALLOWED}
    found = [
        f"{path}:{node.lineno} {node.value!r}"
        for path, tree in parsed().items()
        if path not in skip
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(value in node.value for value in values)
    ]
    assert found == [], "import these from tests/support/credentials.py instead:\n" + "\n".join(found)

"""No credential in a URL setting: refused when read, `${NAME}` references kept and resolved in the run;
SQLAlchemy URLs with a dialect SQLAlchemy does not know refused with the fix; list ids required."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from sakari_sync.config import (
    NO_PASSWORD_PATTERN,
    ConfigError,
    ListMapping,
    SyncParameters,
    check_url,
    resolve_env,
)

# url: whether it may be a parameter (no password written into it)
URLS = {
    "postgresql+psycopg://sync:${PGPASSWORD}@db/warehouse": True,
    "postgresql+psycopg://sync:${A}${B}@db/warehouse": True,
    "postgresql+psycopg://sync@db/warehouse": True,
    "postgresql+psycopg://sync:@db/warehouse": True,  # an empty password says nothing
    "postgresql+psycopg://sync@db/warehouse?sslmode=require&password=${PW}": True,
    "${SAKARI_STATE_URL}": True,
    "sqlite:///sakari-state.db": True,
    "sqlite:////data/a:b@c.db": True,  # a path, not a user and password
    "redis://cache:6379/0": True,
    "redis://:${REDIS_PASSWORD}@cache:6379/0": True,
    "postgresql+psycopg://sync:hunter2@db/warehouse": False,
    "postgresql+psycopg://sync:pre${PW}@db/warehouse": False,
    "postgresql+psycopg://sync@db/warehouse?password=hunter2": False,
    "postgresql+psycopg://sync@db/warehouse?password=${PW}x": False,
    "mysql+pymysql://sync:hunter2@db/warehouse": False,
    "redis://:hunter2@cache:6379/0": False,
}


def params(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"source": {"url": "sqlite:///warehouse.db", "table": "contacts"}}
    return base | changes


@pytest.mark.parametrize(("url", "allowed"), URLS.items())
def test_a_password_is_refused_unless_it_is_a_reference(url: str, allowed: bool) -> None:
    """The model's check and the JSON schema's pattern (what the Prefect server and UI enforce) agree."""
    if allowed:
        check_url(url, "state_url", sqlalchemy=False)
    else:
        with pytest.raises(ValueError, match=r"^state_url holds a password") as refused:
            check_url(url, "state_url", sqlalchemy=False)
        assert "hunter2" not in str(refused.value), "the refusal never repeats the password"
    assert (re.search(NO_PASSWORD_PATTERN, url) is not None) is allowed


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"source": {"url": "postgresql+psycopg://u:hunter2@db/dw", "table": "t"}}, "source.url"),
        ({"state_url": "postgresql+psycopg://u:hunter2@db/state"}, "state_url"),
        (
            {"sakari": {"rate_limit": 5, "shared_limit_url": "redis://:hunter2@cache:6379/0"}},
            "sakari.shared_limit_url",
        ),
    ],
)
def test_each_url_setting_refuses_a_password_naming_itself(changes: dict[str, Any], setting: str) -> None:
    """source.url, state_url and sakari.shared_limit_url: one message naming the setting and the way out."""
    with pytest.raises(ValidationError) as refused:
        SyncParameters.model_validate(params(**changes))
    message = str(refused.value.errors()[0]["ctx"]["error"])
    assert message.startswith(f"{setting} holds a password, which would be stored with every flow run")
    assert "write it as ${NAME}" in message


def test_the_parameters_schema_carries_the_rule_for_the_prefect_server() -> None:
    """Each URL setting's JSON schema has the no-password pattern (deployment runs are validated with it)."""
    schema = SyncParameters.model_json_schema()
    defs = schema["$defs"]
    assert schema["properties"]["state_url"]["pattern"] == NO_PASSWORD_PATTERN
    assert defs["SourceConfig"]["properties"]["url"]["pattern"] == NO_PASSWORD_PATTERN
    assert defs["SakariConfig"]["properties"]["shared_limit_url"]["pattern"] == NO_PASSWORD_PATTERN


def test_references_stay_literal_in_the_parameters() -> None:
    """A `${NAME}` is not resolved when the parameters are read: they are stored as written."""
    raw = params(state_url="postgresql+psycopg://sync:${PGPASSWORD}@db/state")
    assert SyncParameters.model_validate(raw).model_dump()["state_url"] == raw["state_url"]


def test_resolve_env_fills_references_and_encodes_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """A password may hold @ / and spaces: percent-encoded inside user:password@, as is elsewhere."""
    monkeypatch.setenv("PGPASSWORD", "p@ss/w rd")
    monkeypatch.setenv("DBHOST", "db.internal")
    url = "postgresql+psycopg://sync:${PGPASSWORD}@${DBHOST}/warehouse"
    assert resolve_env(url, "source.url") == "postgresql+psycopg://sync:p%40ss%2Fw%20rd@db.internal/warehouse"


def test_resolve_env_takes_a_whole_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """`${SAKARI_STATE_URL}` (prefect.yaml's state_url) becomes the URL the variable holds, unchanged."""
    monkeypatch.setenv("SAKARI_STATE_URL", "postgresql+psycopg://sakari:s3cret@db/sakari_state")
    assert (
        resolve_env("${SAKARI_STATE_URL}", "state_url")
        == "postgresql+psycopg://sakari:s3cret@db/sakari_state"
    )


def test_resolve_env_names_the_setting_and_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset variable is a ConfigError saying which setting needs which variable, and where to set it."""
    monkeypatch.delenv("SAKARI_STATE_URL", raising=False)
    with pytest.raises(
        ConfigError, match=r"^state_url refers to \$\{SAKARI_STATE_URL\}, which is not set where"
    ):
        resolve_env("${SAKARI_STATE_URL}", "state_url")


def test_resolve_env_checks_the_url_it_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable holding postgres:// gets the same hint as a URL written in the config."""
    monkeypatch.setenv("SAKARI_STATE_URL", "postgres://sakari@db/state")
    with pytest.raises(
        ConfigError, match=r"^state_url: SQLAlchemy does not know postgres://; write postgresql"
    ):
        resolve_env("${SAKARI_STATE_URL}", "state_url")


def test_a_url_without_references_is_returned_as_it_is() -> None:
    """Nothing to resolve: the same string (no environment needed)."""
    assert resolve_env("sqlite:///sakari-state.db", "state_url") == "sqlite:///sakari-state.db"


@pytest.mark.parametrize("setting", ["source.url", "state_url"])
def test_postgres_scheme_gets_the_spelling_sqlalchemy_needs(setting: str) -> None:
    """`postgres://` (Heroku's and libpq's spelling) is refused when read, with the URL to write."""
    raw = (
        params(source={"url": "postgres://u@db/dw", "table": "t"})
        if setting == "source.url"
        else params(state_url="postgres://u@db/state")
    )
    with pytest.raises(ValidationError) as refused:
        SyncParameters.model_validate(raw)
    assert str(refused.value.errors()[0]["ctx"]["error"]) == (
        f"{setting}: SQLAlchemy does not know postgres://; write postgresql+psycopg://"
    )


def test_an_unknown_dialect_is_named() -> None:
    """A misspelt dialect is refused when read, not deep inside SQLAlchemy at run time."""
    with pytest.raises(ValidationError, match=r"state_url: SQLAlchemy has no dialect 'postgresq'"):
        SyncParameters.model_validate(params(state_url="postgresq://u@db/state"))


def test_a_list_column_without_ids_is_refused() -> None:
    """Names sent as ids would be refused by Sakari contact after contact: the config says so first."""
    with pytest.raises(ValidationError) as refused:
        ListMapping(column="segments")
    error = refused.value.errors()[0]
    assert error["loc"] == ("ids",)
    assert "values of column 'segments' would be sent to Sakari as list ids" in str(error["ctx"]["error"])
    assert "mapping.lists.values_are_ids: true" in str(error["ctx"]["error"])


def test_a_list_column_of_ids_or_with_ids_is_accepted() -> None:
    """With `ids`, or `values_are_ids: true` (the column holds Sakari ids), the mapping stands."""
    assert ListMapping(column="segments", ids={"vip": "5f1c0b"}).ids == {"vip": "5f1c0b"}
    assert ListMapping(column="segment_ids", values_are_ids=True).values_are_ids
    assert ListMapping(constant=["5f1c0a"]).constant == ["5f1c0a"]

"""URL settings without credentials: a password in a URL parameter is refused unless written as
`${NAME}` references to environment variables, which `resolve_env` fills in where the run executes.

A parameter is stored with the flow run and shown in the Prefect UI, so no credential may be one. The
same rule is a JSON-schema `pattern` (`NO_PASSWORD_PATTERN`), so the Prefect server refuses such a value
for a deployment run too.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from pydantic import Field
from sqlalchemy.engine import URL
from sqlalchemy.exc import NoSuchModuleError

from sakari_sync.errors import ConfigError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(r"\$\{(" + _NAME + r")\}")
_ONLY_REFERENCES = re.compile(r"(?:\$\{" + _NAME + r"\})+")
# The same rule for the Prefect server and the UI's form (JSON schema `pattern`, Python and JavaScript
# regex alike): no `user:password@` nor `password=` unless the password is only `${NAME}` references.
NO_PASSWORD_PATTERN = (
    r"^(?![^:/?#]*://[^/?#@:]*:(?!(?:\$\{" + _NAME + r"\})+@)[^/?#@]+@)"
    r"(?![^#]*[?&]password=(?!(?:\$\{" + _NAME + r"\})+(?:[&#]|$)))"
)
_NOT_SQLALCHEMY = {"sakari.shared_limit_url"}  # a Redis URL
_URL_HELP = " No password: write it as ${NAME}, an environment variable set where the run executes."


def url_field(default: Any, description: str) -> Any:
    return Field(
        default, description=description + _URL_HELP, json_schema_extra={"pattern": NO_PASSWORD_PATTERN}
    )


def _written_password(url: str) -> str | None:
    """The password written into `url` (after `user:` or as `password=`), None when there is none."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return None  # not URL-shaped at all; SQLAlchemy or Redis will say so
    return password or next((v for k, v in parse_qsl(parts.query) if k.lower() == "password"), None)


def check_url(url: str, setting: str, *, sqlalchemy: bool = True) -> str:
    """`url` if it can be a parameter: no password unless as `${NAME}`, and (for a SQLAlchemy URL)
    a dialect SQLAlchemy knows. Raises ValueError with one line naming `setting` and the fix."""
    password = _written_password(url)
    if password and not _ONLY_REFERENCES.fullmatch(password):
        instead = " (or name a SqlAlchemyConnector block in source.block)" if setting == "source.url" else ""
        raise ValueError(
            f"{setting} holds a password, which would be stored with every flow run and shown in the "
            f"Prefect UI; write it as ${{NAME}} (e.g. postgresql+psycopg://sync:${{PGPASSWORD}}@db/dw) and "
            f"set NAME where the run executes{instead}"
        )
    scheme, found, _ = url.partition("://")
    if sqlalchemy and found and not _REFERENCE.search(scheme):
        _check_dialect(scheme, setting)
    return url


def _check_dialect(scheme: str, setting: str) -> None:
    if scheme == "postgres" or scheme.startswith("postgres+"):
        raise ValueError(f"{setting}: SQLAlchemy does not know postgres://; write postgresql+psycopg://")
    try:
        URL.create(scheme).get_dialect()
    except NoSuchModuleError:
        dialect = scheme.partition("+")[0]
        raise ValueError(
            f"{setting}: SQLAlchemy has no dialect {scheme!r}; check the spelling (e.g. "
            f"postgresql+psycopg://, mysql+pymysql://, sqlite:///) or install the package for {dialect!r}"
        ) from None


def resolve_env(url: str, setting: str) -> str:
    """`url` with each `${NAME}` replaced by the environment variable NAME, where the run executes.

    Call it where the URL is used (connecting), never where it is stored: the parameters keep the
    reference. A value inside `user:password@` is percent-encoded, so a password may hold `@` or `/`;
    elsewhere (a whole URL in `${SAKARI_STATE_URL}`, a host) it is used as it is. Raises ConfigError
    naming `setting` and the variable when it is not set, or when the result is not a usable URL.
    """
    start, end = _userinfo_span(url)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(
                f"{setting} refers to ${{{name}}}, which is not set where the run executes; set {name} "
                "in the environment of `sakari-sync run`, or of the worker for a deployment"
            )
        return quote(os.environ[name], safe="") if start <= match.start() < end else os.environ[name]

    resolved = _REFERENCE.sub(value, url)
    scheme, found, _ = resolved.partition("://")
    if resolved != url and found and setting not in _NOT_SQLALCHEMY:
        try:
            _check_dialect(scheme, setting)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return resolved


def _userinfo_span(url: str) -> tuple[int, int]:
    """Where `user:password` sits in `url` (start, end), or (0, 0) when it has none."""
    begin = url.find("://")
    if begin < 0:
        return 0, 0
    begin += 3
    ends = [i for i in (url.find(c, begin) for c in "/?#") if i >= 0]
    at = url.rfind("@", begin, min(ends, default=len(url)))
    return (begin, at) if at >= 0 else (0, 0)

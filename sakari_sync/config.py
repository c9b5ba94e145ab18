"""The sync's parameters, as one pydantic model: the flow's UI form, the YAML config file and the CLI."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from phonenumbers import SUPPORTED_REGIONS
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sakari_client.models import MergeStrategy
from sakari_sync.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """Where the contacts come from: a table or a query, with its key and optional cursor column."""

    url: str | None = Field(None, description="SQLAlchemy URL of the source (or use `block`).")
    block: str | None = Field(None, description="Name of a saved prefect-sqlalchemy connector block.")
    table: str | None = Field(None, description="Table (or view) to read.")
    query: str | None = Field(None, description="SQL query to read; values as :name bound parameters.")
    params: dict[str, Any] = Field(default_factory=dict, description="Bound parameters for `query`.")
    key_column: str = Field("id", description="Unique, orderable source key; pages are read by it.")
    cursor_column: str | None = Field(None, description="Column for incremental reads, e.g. updated_at.")
    chunk_size: int = Field(5000, ge=1, le=100_000, description="Rows read per page.")

    @model_validator(mode="after")
    def _one_source(self) -> SourceConfig:
        if (self.url is None) == (self.block is None):
            raise ValueError("give exactly one of source.url or source.block")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of source.table or source.query")
        return self


class ListMapping(_Strict):
    """List membership: from a column (one or several values per row) or a constant."""

    column: str | None = Field(None, description="Column holding list names (or ids).")
    separator: str | None = Field(None, description="Split the column on this, e.g. ','.")
    constant: list[str] = Field(default_factory=list, description="Lists every contact joins.")
    ids: dict[str, str] = Field(
        default_factory=dict,
        description="Source list value -> Sakari list id; unmapped values are used as ids.",
    )


class MappingConfig(_Strict):
    """Source columns for each Sakari field."""

    mobile: str = Field("phone", description="Column with the phone number, in any format.")
    country: str | None = Field(None, description="Column with an ISO country code per row.")
    first_name: str | None = Field(None, description="Column for firstName.")
    last_name: str | None = Field(None, description="Column for lastName.")
    email: str | None = Field(None, description="Column for email.")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Sakari attribute name -> source column."
    )
    lists: ListMapping = Field(default_factory=ListMapping)
    strict_fields: bool = Field(
        False,
        description="Reject the whole row when an optional field (name, email, attribute, list cell) is "
        "invalid, as the first release did, instead of leaving that field out and sending the contact.",
    )

    def columns(self) -> dict[str, str]:
        """Every source column the mapping reads, by the setting that names it (`mapping.email`...)."""
        named = {
            "mapping.mobile": self.mobile,
            "mapping.country": self.country,
            "mapping.first_name": self.first_name,
            "mapping.last_name": self.last_name,
            "mapping.email": self.email,
            "mapping.lists.column": self.lists.column,
        } | {f"mapping.attributes.{name}": column for name, column in self.attributes.items()}
        return {setting: column for setting, column in named.items() if column is not None}


class PhoneConfig(_Strict):
    default_region: str = Field("US", description="Region for numbers written without a country code.")
    reject_fixed_line: bool = Field(True, description="Reject numbers that cannot receive SMS.")

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value.strip().upper() not in SUPPORTED_REGIONS | {"UK"}:
            raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 region code, e.g. US, GB or DE")
        return value


class SakariConfig(_Strict):
    """Which Sakari account, and how hard to push it."""

    block: str = Field("sakari-demo", description="Name of a saved Sakari Credentials block.")
    merge_strategy: MergeStrategy = Field("append", description="How Sakari merges into an existing contact.")
    rate_limit: float | None = Field(None, gt=0, description="Cap in requests/s; unset = learn it from 429s.")
    max_in_flight: int = Field(16, ge=1, le=256, description="Requests in flight at once.")
    shared_limit_url: str | None = Field(
        None, description="Redis URL: share `rate_limit` with every run and worker using the same account."
    )
    batch_size: int = Field(500, ge=1, le=10_000, description="Contacts per load task.")
    retry_attempts: int = Field(
        8, ge=1, le=50, description="Tries per request on 429, 5xx and dropped connections, then it fails."
    )
    retry_timeout: float = Field(
        120.0, gt=0, le=3600, description="Seconds one request may spend retrying before it fails."
    )
    load_mode: Literal["contacts", "bulk"] = Field(
        "contacts", description="contacts: one request per contact; bulk: a CSV upload per batch (backfills)."
    )

    @model_validator(mode="after")
    def _shared_needs_a_rate(self) -> SakariConfig:
        if self.shared_limit_url and not self.rate_limit:
            raise ValueError("sakari.shared_limit_url needs sakari.rate_limit: the rate to share")
        return self


class ReconcileConfig(_Strict):
    """Reading Sakari back after loading."""

    enabled: bool = Field(True, description="Compare Sakari with what was sent, after loading.")
    repair: bool = Field(
        True, description="Recreate missing and rewrite drifted contacts (never blocked ones)."
    )


class SyncParameters(_Strict):
    """Everything one run of `sync-contacts` needs."""

    name: str = Field("contacts", description="Names this sync in the state database (ledger, cursor).")
    source: SourceConfig
    mapping: MappingConfig = Field(default_factory=MappingConfig)
    phone: PhoneConfig = Field(default_factory=PhoneConfig)
    sakari: SakariConfig = Field(default_factory=SakariConfig)
    reconcile: ReconcileConfig = Field(default_factory=ReconcileConfig)
    state_url: str = Field("sqlite:///sakari-state.db", description="SQLAlchemy URL of the state database.")
    full_refresh: bool = Field(False, description="Ignore the stored cursor and read everything.")
    rejected_share_alert: float = Field(
        0.1, ge=0, le=1, description="Emit `sakari.sync.rejects-high` when more than this share is rejected."
    )
    shards: int = Field(1, ge=1, le=64, description="Split the sync into this many disjoint shards.")
    shard: int = Field(0, ge=0, description="Which shard this run handles (0 .. shards-1).")
    task_runner: Literal["default", "dask"] = Field(
        "default",
        description="Where transform pages run: 'default' (in the flow's process) or 'dask' (on a Dask "
        "cluster, the next page read while earlier ones transform). Loading stays on the event loop.",
    )
    dask_address: str | None = Field(
        None,
        description="Scheduler of an existing Dask cluster (tcp://host:8786); none = a temporary local one.",
    )

    @model_validator(mode="after")
    def _shard_in_range(self) -> SyncParameters:
        if self.shard >= self.shards:
            raise ValueError(f"shard must be below shards ({self.shards})")
        return self

    @property
    def scope(self) -> str:
        """The name the state database files this run under: a shard has its own lock, ledger and cursor."""
        return self.name if self.shards == 1 else f"{self.name}.shard-{self.shard}-of-{self.shards}"


def load_config(path: str | Path) -> SyncParameters:
    """Read a YAML config file into `SyncParameters`, with one readable error if it is wrong."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {p} is not valid YAML ({_yaml_problem(exc)}); fix it") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {p} must be a mapping of parameters")
    try:
        return SyncParameters.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        hint = _spelling_hint(first["loc"]) if first["type"] == "extra_forbidden" else ""
        raise ConfigError(f"config file {p}: {where}: {first['msg']}{hint}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's complaint and where, on one line (its own message spans several)."""
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else str(problem)


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

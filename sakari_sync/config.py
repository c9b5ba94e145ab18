"""The sync's parameters, as one pydantic model: the flow's UI form, the YAML config file and the CLI.

No credential is ever a parameter: a URL setting (`source.url`, `state_url`, `sakari.shared_limit_url`)
that holds a password is refused; it may name environment variables instead, resolved inside the run
(see `sakari_sync/urls.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from phonenumbers import SUPPORTED_REGIONS
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sakari_client.models import MergeStrategy
from sakari_sync.errors import ConfigError as ConfigError  # re-exported: callers import it from here
from sakari_sync.urls import NO_PASSWORD_PATTERN as NO_PASSWORD_PATTERN  # re-exported with the settings
from sakari_sync.urls import check_url as check_url
from sakari_sync.urls import resolve_env as resolve_env
from sakari_sync.urls import url_field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """Where the contacts come from: a table or a query, with its key and optional cursor column."""

    url: str | None = url_field(None, "SQLAlchemy URL of the source (or use `block`).")
    block: str | None = Field(None, description="Name of a saved prefect-sqlalchemy connector block.")
    table: str | None = Field(None, description="Table (or view) to read.")
    query: str | None = Field(None, description="SQL query to read; values as :name bound parameters.")
    params: dict[str, Any] = Field(default_factory=dict, description="Bound parameters for `query`.")
    key_column: str = Field("id", description="Unique, orderable source key; pages are read by it.")
    cursor_column: str | None = Field(None, description="Column for incremental reads, e.g. updated_at.")
    chunk_size: int = Field(5000, ge=1, le=100_000, description="Rows read per page.")

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, "source.url")

    @model_validator(mode="after")
    def _one_source(self) -> SourceConfig:
        if (self.url is None) == (self.block is None):
            raise ValueError("give exactly one of source.url or source.block")
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of source.table or source.query")
        return self


class ListMapping(_Strict):
    """List membership: from a column (one or several values per row) or a constant."""

    column: str | None = Field(None, description="Column holding list names (or, see values_are_ids, ids).")
    separator: str | None = Field(None, description="Split the column on this, e.g. ','.")
    constant: list[str] = Field(
        default_factory=list, description="Lists every contact joins: Sakari list ids, or names in `ids`."
    )
    values_are_ids: bool = Field(
        False, description="The column already holds Sakari list ids, so `ids` is not needed."
    )
    ids: dict[str, str] = Field(
        default_factory=dict,
        validate_default=True,
        description="Source list value -> Sakari list id; needed with `column` unless values_are_ids.",
    )

    @field_validator("ids")
    @classmethod
    def _ids_for_names(cls, ids: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # Sakari takes list ids only: a name sent as an id is refused contact after contact.
        column = info.data.get("column")
        if column is not None and not ids and not info.data.get("values_are_ids"):
            raise ValueError(
                f"empty, so the values of column {column!r} would be sent to Sakari as list ids; map each "
                "value to its Sakari list id (ids: {newsletter: 5f1c..., ...}), or set "
                "mapping.lists.values_are_ids: true if the column holds Sakari list ids"
            )
        return ids


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
    shared_limit_url: str | None = url_field(
        None, "Redis URL: share `rate_limit` with every run and worker using the same account."
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

    @field_validator("shared_limit_url")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, "sakari.shared_limit_url", sqlalchemy=False)

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
    full_read_every_hours: float | None = Field(
        24.0,
        ge=0,
        description="Read Sakari's whole account back this often (hours; a run 5% early, an hour at "
        "most, counts): only a full read finds contacts deleted or edited in Sakari that the run did "
        "not touch, and contacts the source no longer has. Between full reads a run reads back only "
        "the contacts it touched (none: no request). 0 = every run; empty = never (schedule "
        "`reconcile-contacts`).",
    )


class SyncParameters(_Strict):
    """Everything one run of `sync-contacts` needs."""

    name: str = Field("contacts", description="Names this sync in the state database (ledger, cursor).")
    source: SourceConfig
    mapping: MappingConfig = Field(default_factory=MappingConfig)
    phone: PhoneConfig = Field(default_factory=PhoneConfig)
    sakari: SakariConfig = Field(default_factory=SakariConfig)
    reconcile: ReconcileConfig = Field(default_factory=ReconcileConfig)
    state_url: str = url_field("sqlite:///sakari-state.db", "SQLAlchemy URL of the state database.")
    full_refresh: bool = Field(False, description="Ignore the stored cursor and read everything.")
    max_pending_share: float = Field(
        0.02,
        ge=0,
        le=1,
        description="A run in which Sakari refused or could not take more than this share of the contacts "
        "it sent ends Failed; up to it, the run ends Completed as 'Partial'. Either way those contacts are "
        "sent again next run.",
    )
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

    @field_validator("state_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        return check_url(value, "state_url")

    @model_validator(mode="after")
    def _shard_in_range(self) -> SyncParameters:
        if self.shard >= self.shards:
            raise ValueError(f"shard must be below shards ({self.shards})")
        return self

    @property
    def scope(self) -> str:
        """The name the state database files this run under: a shard has its own lock, ledger and cursor."""
        return self.name if self.shards == 1 else f"{self.name}.shard-{self.shard}-of-{self.shards}"
